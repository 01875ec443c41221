/**
 * The agent's hot-path decoders (src/agent/fast-commands.ts) against the schemas they shortcut:
 * a message decodes the same whichever path takes it (value or refusal), whatever the fast path
 * accepts the schema accepts, and a well-formed message — as the real protobuf codec delivers
 * it — never misses the fast path (so the speed is not lost silently).
 */
import fc from "fast-check";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { fastAssign, fastResultAck } from "../src/agent/fast-commands.ts";
import {
  decodeSupervisorMessage,
  decodeSupervisorMessageBySchema,
  workItems,
} from "../src/agent/supervisor-messages.ts";
import { newJobId } from "../src/domain/ids.ts";
import { hwpProtocol } from "../src/protocol/proto.ts";
import type { SupervisorMessage } from "../src/protocol/wire.ts";

const jobId = newJobId();
const goodRef = fc.record({
  jobId: fc.constant(jobId),
  attempt: fc.integer({ min: 1, max: 1000 }),
});
const goodAssign = fc
  .tuple(goodRef, fc.string(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }))
  .map(([ref, specJson, at]) => ({ ...ref, specJson, acceptByMs: String(at) }));

/** Each field wrong in the ways a schema might read differently from a hand-written check. */
const badRef = <T extends { jobId: string; attempt: number }>(good: fc.Arbitrary<T>) =>
  fc.oneof(
    good.map((r) => ({ ...r, jobId: "not-a-ulid" })),
    good.map((r) => ({ ...r, jobId: r.jobId.toLowerCase() })),
    good.map((r) => ({ ...r, jobId: 7 })),
    fc
      .tuple(good, fc.constantFrom(0, 1001, 1.5, -1, "1", Number.NaN, 2 ** 53))
      .map(([r, attempt]) => ({ ...r, attempt })),
    good.map((r) => ({ ...r, extra: true })),
    good.map(({ attempt: _, ...r }) => r),
    good.map((r) => Object.assign(Object.create({ inherited: 1 }) as object, r)),
  );
const anyAssign = fc.oneof(
  goodAssign,
  badRef(goodAssign),
  fc
    .tuple(
      goodAssign,
      fc.constantFrom("", "-1", "007", "1e3", " 1", "1.0", "9007199254740993", "0x10", "abc"),
    )
    .map(([a, acceptByMs]) => ({ ...a, acceptByMs })),
  goodAssign.map((a) => ({ ...a, acceptByMs: Number(a.acceptByMs) })),
  goodAssign.map((a) => ({ ...a, specJson: null })),
  goodAssign.map(({ specJson: _, ...a }) => a),
);
const anyResultAck = fc.oneof(goodRef, badRef(goodRef));

const { methods } = hwpProtocol();
const viaSupervisor = (m: SupervisorMessage) =>
  methods.session.deserializeResponse(methods.session.serializeResponse(m));

describe("agent fast decoding", () => {
  it("decodes assignJob and resultAck as the schema does, value or refusal", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyAssign.map((a) => ({ msg: "assignJob" as const, assignJob: a })),
          anyResultAck.map((r) => ({ msg: "resultAck" as const, resultAck: r })),
        ),
        (message) => {
          const bySchema = decodeSupervisorMessageBySchema(message);
          expect(decodeSupervisorMessage(message)).toEqual(bySchema);
          const fast =
            "assignJob" in message
              ? fastAssign(message.assignJob)
              : fastResultAck(message.resultAck);
          if (fast !== undefined) expect(bySchema).toEqual(Either.right(fast));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("takes every well-formed assignJob and resultAck", () => {
    fc.assert(fc.property(goodAssign, (a) => fastAssign(a) !== undefined));
    fc.assert(fc.property(goodRef, (r) => fastResultAck(r) !== undefined));
  });

  it("takes them as the protobuf codec delivers them, alone and in a Work frame", () => {
    const assignJob = {
      jobId,
      attempt: 3,
      specJson: '{"name":"x"}',
      acceptByMs: 1_700_000_000_123,
    };
    const resultAck = { jobId, attempt: 3 };
    const alone = [viaSupervisor({ assignJob }), viaSupervisor({ resultAck })] as const;
    expect(fastAssign((alone[0] as { assignJob: unknown }).assignJob)).toEqual({
      kind: "assign",
      jobId,
      attempt: 3,
      specJson: '{"name":"x"}',
      acceptBy: 1_700_000_000_123,
    });
    expect(fastResultAck((alone[1] as { resultAck: unknown }).resultAck)).toEqual({
      kind: "resultAck",
      jobId,
      attempt: 3,
    });
    const items = workItems(viaSupervisor({ work: { items: [{ assignJob }, { resultAck }] } }));
    expect(items).toHaveLength(2);
    const [a, r] = items as ReadonlyArray<{ assignJob?: unknown; resultAck?: unknown }>;
    expect(fastAssign(a!.assignJob)).toBeDefined();
    expect(fastResultAck(r!.resultAck)).toBeDefined();
  });
});
