/**
 * The hand-written byte codecs (src/hwp/heartbeat-bytes.ts and log-batch-bytes.ts, src/protocol/log-batch-encode.ts) against the
 * reference path they shortcut — protobufjs, then the decoders of agent-messages.ts and
 * log-batch.ts: whatever the byte readers accept, the reference accepts with the same value (so
 * they never let through something invalid, nor read a field differently), every well-formed
 * message takes them (so the speed is not lost silently), and the agent's encoder writes the
 * very bytes protobufjs writes (for well-formed text: see log-batch-bytes.ts on lone surrogates).
 */
import fc from "fast-check";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { newJobId } from "../src/domain/ids.ts";
import { decodeAgentMessage } from "../src/hwp/agent-messages.ts";
import { heartbeatFromBytes } from "../src/hwp/heartbeat-bytes.ts";
import { decodeLogBatch } from "../src/hwp/log-batch.ts";
import { encodeLogBatch } from "../src/protocol/log-batch-encode.ts";
import { logBatchFromBytes } from "../src/hwp/log-batch-bytes.ts";
import { hwpProtocol } from "../src/protocol/proto.ts";
import type { LogBatch } from "../src/protocol/wire.ts";

const { methods } = hwpProtocol();

/** A field as raw protobuf: tag, then a varint, 8 little-endian bytes or a length and bytes. */
type Field =
  | { readonly field: number; readonly varint: bigint }
  | { readonly field: number; readonly double: number }
  | { readonly field: number; readonly bytes: Uint8Array };

const varint = (v: bigint): number[] => {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x > 127n) {
    out.push(Number(x & 127n) | 128);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
};

const encode = (fields: ReadonlyArray<Field>): Buffer =>
  Buffer.concat(
    fields.map((f) => {
      if ("varint" in f) return Buffer.from([...varint(BigInt(f.field << 3)), ...varint(f.varint)]);
      if ("double" in f) {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(f.double);
        return Buffer.concat([Buffer.from(varint(BigInt((f.field << 3) | 1))), b]);
      }
      const head = [...varint(BigInt((f.field << 3) | 2)), ...varint(BigInt(f.bytes.length))];
      return Buffer.concat([Buffer.from(head), f.bytes]);
    }),
  );

const anyDouble = fc.oneof(
  fc.double({ min: 0, max: 100, noNaN: true }),
  fc.double(),
  fc.constantFrom(0, -0, 100, 100.5, -1, Number.NaN, Infinity),
);
const anyVarint = fc.oneof(
  fc.bigInt({ min: 0n, max: 20_000n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 10_000n, 10_001n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, -1n),
);

/** Telemetry fields in any order, some missing, repeated, mistyped or unknown. */
const telemetryFields: fc.Arbitrary<Field[]> = fc.oneof(
  fc
    .tuple(anyDouble, anyDouble, anyDouble, anyDouble, anyDouble, anyVarint, anyVarint)
    .map(([c, u, t, l, d, r, a]) => [
      { field: 1, double: c },
      { field: 2, double: u },
      { field: 3, double: t },
      { field: 4, double: l },
      { field: 5, double: d },
      { field: 6, varint: r },
      { field: 7, varint: a },
    ]),
  fc.array(
    fc.oneof(
      fc.record({ field: fc.integer({ min: 1, max: 5 }), double: anyDouble }),
      fc.record({ field: fc.integer({ min: 1, max: 9 }), varint: anyVarint }),
    ),
    { maxLength: 9 },
  ),
);

const heartbeatBytes = (fields: ReadonlyArray<Field>): Buffer =>
  encode([{ field: 2, bytes: encode([{ field: 1, bytes: encode(fields) }]) }]);

const reference = (bytes: Buffer) => {
  try {
    return decodeAgentMessage(methods.session.deserializeRequest(bytes));
  } catch {
    return undefined; // protobufjs could not read it at all
  }
};

const jobId = newJobId();
const entry = (seq: number) =>
  fc.record({
    seq: fc.constant(seq),
    stream: fc.constantFrom("STDOUT" as const, "STDERR" as const),
    line: fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constant("")),
    atMs: fc.oneof(fc.nat(), fc.constant(1_700_000_000_000)),
  });
const goodBatch: fc.Arbitrary<LogBatch> = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(20))
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
  goodBatch.map((b) => ({ ...b, attempt: 1001 })),
  goodBatch.map((b) => ({ ...b, entries: [...b.entries].reverse() })),
  goodBatch.map((b) => ({ ...b, entries: b.entries.map((e) => ({ ...e, seq: 0 })) })),
  goodBatch.map((b) => ({
    ...b,
    entries: b.entries.map((e) => ({ ...e, stream: "LOG_STREAM_UNSPECIFIED" })),
  })),
);

describe("heartbeat bytes", () => {
  it("accepts a heartbeat only if the reference does, with the same value", () => {
    fc.assert(
      fc.property(telemetryFields, (fields) => {
        const bytes = heartbeatBytes(fields);
        const fast = heartbeatFromBytes(bytes);
        if (fast !== undefined) expect(reference(bytes)).toEqual(Either.right({ ...fast }));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads every heartbeat an agent writes", () => {
    const telemetry = fc.record({
      cpuPercent: fc.double({ min: 0, max: 100, noNaN: true }),
      memoryUsedMb: fc.double({ min: 0, max: 1e7, noNaN: true }),
      memoryTotalMb: fc.double({ min: 0, max: 1e7, noNaN: true }),
      load1: fc.double({ min: 0, max: 64, noNaN: true }),
      diskFreeMb: fc.double({ min: 0, max: 1e9, noNaN: true }),
      runningJobs: fc.integer({ min: 0, max: 10_000 }),
      atMs: fc.nat(),
    });
    fc.assert(
      fc.property(telemetry, (t) => {
        const bytes = methods.session.serializeRequest({ heartbeat: { telemetry: t } });
        const fast = heartbeatFromBytes(bytes);
        expect(fast).toBeDefined();
        expect(reference(bytes)).toEqual(Either.right({ ...fast! }));
      }),
      { numRuns: 500 },
    );
  });

  it("leaves every other message to protobufjs", () => {
    const bytes = methods.session.serializeRequest({ hello: { workerId: "w-1" } });
    expect(heartbeatFromBytes(bytes)).toBeUndefined();
    expect(heartbeatFromBytes(Buffer.alloc(0))).toBeUndefined();
    expect(heartbeatFromBytes(heartbeatBytes([]).subarray(0, 3))).toBeUndefined();
  });
});

describe("log batch bytes", () => {
  it("encodes a batch to the bytes protobufjs writes", () => {
    fc.assert(
      fc.property(goodBatch, (batch) => {
        expect(encodeLogBatch(batch).equals(methods.streamLogs.serializeRequest(batch))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts a batch only if the reference does, with the same value", () => {
    fc.assert(
      fc.property(anyBatch, (batch) => {
        const bytes = methods.streamLogs.serializeRequest(batch as LogBatch);
        const fast = logBatchFromBytes(bytes);
        const ref = decodeLogBatch(methods.streamLogs.deserializeRequest(bytes));
        if (fast !== undefined) expect(ref).toEqual(Either.right(fast.batch));
      }),
      { numRuns: 500 },
    );
  });

  it("reads every batch an agent writes, and what a cut or an unknown field does", () => {
    fc.assert(
      fc.property(goodBatch, fc.nat(), (batch, cut) => {
        const bytes = encodeLogBatch(batch);
        const fast = logBatchFromBytes(bytes);
        expect(fast?.batch).toEqual(
          Either.getOrThrow(decodeLogBatch(methods.streamLogs.deserializeRequest(bytes))),
        );
        const extra = Buffer.concat([bytes, encode([{ field: 9, varint: 1n }])]);
        expect(logBatchFromBytes(extra)).toBeUndefined();
        // Cut at an entry's end, a batch is still a batch (with fewer lines); anywhere else not.
        const short = bytes.subarray(0, cut % bytes.length);
        const fromShort = logBatchFromBytes(short);
        if (fromShort !== undefined) {
          expect(decodeLogBatch(methods.streamLogs.deserializeRequest(short))).toEqual(
            Either.right(fromShort.batch),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
