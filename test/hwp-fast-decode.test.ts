/**
 * The hot-path decoders (src/hwp/fast-decode.ts) against the schemas they shortcut: whatever
 * the fast path accepts, the schema accepts with the same value (so it never lets through
 * something invalid), and a well-formed message never misses the fast path (so the speed is
 * not lost silently).
 */
import fc from "fast-check";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import {
  decodeAgentMessage,
  decodeAgentMessageBySchema,
  heartbeatBySchema,
} from "../src/hwp/agent-messages.ts";
import { logBatchBySchema } from "../src/hwp/log-batch.ts";
import { fastHeartbeat, fastJobRef, fastJobResult, fastLogBatch } from "../src/hwp/fast-decode.ts";
import { newJobId } from "../src/domain/ids.ts";

const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -5, max: 20_000 }),
  fc.constantFrom(0, 100, 100.5, -0, Number.NaN, Infinity),
);
const anyInt64 = fc.oneof(
  fc.nat().map(String),
  fc.constantFrom("", "-1", "007", "1e3", "9007199254740993", "abc", " 1"),
);
const goodTelemetry = fc.record({
  cpuPercent: fc.double({ min: 0, max: 100, noNaN: true }),
  memoryUsedMb: fc.double({ min: 0, max: 1e7, noNaN: true }),
  memoryTotalMb: fc.double({ min: 0, max: 1e7, noNaN: true }),
  load1: fc.double({ min: 0, max: 64, noNaN: true }),
  diskFreeMb: fc.double({ min: 0, max: 1e9, noNaN: true }),
  runningJobs: fc.integer({ min: 0, max: 10_000 }),
  atMs: fc.nat().map(String),
});
const anyTelemetry = fc.oneof(
  goodTelemetry,
  fc.record({
    cpuPercent: anyNumber,
    memoryUsedMb: anyNumber,
    memoryTotalMb: anyNumber,
    load1: anyNumber,
    diskFreeMb: anyNumber,
    runningJobs: anyNumber,
    atMs: anyInt64,
  }),
  goodTelemetry.map((t) => ({ ...t, extra: 1 })),
  goodTelemetry.map(({ load1: _, ...t }) => t),
);

const jobId = newJobId();
const entry = (seq: number) =>
  fc.record({
    seq: fc.constant(String(seq)),
    stream: fc.constantFrom("STDOUT", "STDERR"),
    line: fc.string(),
    atMs: fc.nat().map(String),
  });
const goodBatch = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1e9 }), fc.nat({ max: 20 }))
  .chain(([attempt, first, n]) =>
    fc.record({
      jobId: fc.constant(jobId),
      attempt: fc.constant(attempt),
      entries: fc.tuple(...Array.from({ length: n }, (_, i) => entry(first + i))),
    }),
  );
const anyBatch = fc.oneof(
  goodBatch,
  goodBatch.map((b) => ({ ...b, jobId: "not-a-ulid" })),
  goodBatch.map((b) => ({ ...b, attempt: 0 })),
  goodBatch.map((b) => ({ ...b, entries: [...b.entries].reverse() })),
  goodBatch.map((b) => ({ ...b, entries: b.entries.map((e) => ({ ...e, stream: "STDIN" })) })),
  goodBatch.map((b) => ({ ...b, entries: b.entries.map((e) => ({ ...e, seq: `0${e.seq}` })) })),
);

const goodRef = fc.record({
  jobId: fc.constant(jobId),
  attempt: fc.integer({ min: 1, max: 1000 }),
});
const anyRef = fc.oneof(
  goodRef,
  goodRef.map((r) => ({ ...r, jobId: "not-a-ulid" })),
  fc.tuple(goodRef, fc.constantFrom(0, 1001, 1.5, "1")).map(([r, attempt]) => ({ ...r, attempt })),
  goodRef.map((r) => ({ ...r, extra: true })),
  goodRef.map(({ attempt: _, ...r }) => r),
);
const goodSucceeded = fc.record(
  {
    exitCode: fc.integer({ min: 0, max: 255 }),
    outputJson: fc.oneof(
      fc.constant(""),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    ),
  },
  { requiredKeys: ["outputJson"] },
);
const goodResult = fc
  .tuple(goodRef, goodSucceeded)
  .map(([ref, s]) => ({ ...ref, outcome: "succeeded", succeeded: s }));
const anyResult = fc.oneof(
  goodResult,
  goodResult.map((r) => ({ ...r, succeeded: { ...r.succeeded, _exitCode: "exitCode" } })),
  goodResult.map((r) => ({ ...r, succeeded: { ...r.succeeded, exitCode: 256 } })),
  goodResult.map((r) => ({ ...r, succeeded: { ...r.succeeded, outputJson: "{not json" } })),
  goodResult.map((r) => ({ ...r, succeeded: { outputJson: "1", error: "x" } })),
  goodResult.map(({ succeeded: _, ...r }) => ({ ...r, outcome: "failed", failed: { error: "e" } })),
  goodResult.map((r) => ({ ...r, jobId: 7 })),
  anyRef.map((ref) => ({ ...ref, outcome: "succeeded", succeeded: { outputJson: "" } })),
);

describe("fast decoding", () => {
  it("accepts a JobAccepted or a JobResult only if the schema does, with the same value", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyRef.map((r) => ({ msg: "jobAccepted", jobAccepted: r })),
          anyResult.map((r) => ({ msg: "jobResult", jobResult: r })),
        ),
        (message) => {
          const bySchema = decodeAgentMessageBySchema(message);
          const decoded = decodeAgentMessage(message);
          expect(decoded).toEqual(bySchema);
          const body = "jobAccepted" in message ? message.jobAccepted : message.jobResult;
          const fast = "jobAccepted" in message ? fastJobRef(body) : fastJobResult(body);
          if (fast !== undefined) expect(Either.isRight(bySchema)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("takes every well-formed JobAccepted and successful JobResult", () => {
    fc.assert(fc.property(goodRef, (r) => fastJobRef(r) !== undefined));
    fc.assert(fc.property(goodResult, (r) => fastJobResult(r) !== undefined));
  });

  it("accepts a heartbeat only if the schema does, with the same value", () => {
    fc.assert(
      fc.property(anyTelemetry, (telemetry) => {
        const fast = fastHeartbeat({ telemetry });
        if (fast !== undefined)
          expect(heartbeatBySchema({ telemetry })).toEqual(Either.right(fast));
      }),
      { numRuns: 500 },
    );
  });

  it("takes every well-formed heartbeat", () => {
    fc.assert(
      fc.property(goodTelemetry, (telemetry) => fastHeartbeat({ telemetry }) !== undefined),
    );
  });

  it("accepts a log batch only if the schema does, with the same value", () => {
    fc.assert(
      fc.property(anyBatch, (batch) => {
        const fast = fastLogBatch(batch);
        if (fast !== undefined) expect(logBatchBySchema(batch)).toEqual(Either.right(fast));
      }),
      { numRuns: 300 },
    );
  });

  it("takes every well-formed log batch", () => {
    fc.assert(fc.property(goodBatch, (batch) => fastLogBatch(batch) !== undefined));
  });
});
