/**
 * The TypeScript shapes of HWP messages (src/protocol/wire.ts) against proto/hwp.proto: every shape
 * a side writes survives the real protobuf encoding with no field lost or renamed (the drift
 * check for hand-written types over a runtime-loaded .proto), and every outcome an agent can
 * report decodes on the supervisor to the same outcome.
 */
import fc from "fast-check";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeAgentMessage, reportItems } from "../src/hwp/agent-messages.ts";
import { decodeLogBatch } from "../src/hwp/log-batch.ts";
import { decodeRegistration } from "../src/hwp/registration.ts";
import { hwpProtocol } from "../src/protocol/proto.ts";
import { outcomeToWire, type AgentMessage, type SupervisorMessage } from "../src/protocol/wire.ts";
import { decodeSupervisorMessage, workItems } from "../src/agent/supervisor-messages.ts";
import { newJobId } from "../src/domain/ids.ts";
import type { Outcome } from "../src/supervisor/gateway.ts";

const { methods } = hwpProtocol();
const viaAgent = (m: AgentMessage) =>
  methods.session.deserializeRequest(methods.session.serializeRequest(m));
const viaSupervisor = (m: SupervisorMessage) =>
  methods.session.deserializeResponse(methods.session.serializeResponse(m));

const jobId = newJobId();

describe("wire shapes", () => {
  it("carries a registration intact", () => {
    const request = {
      workerId: "w-7",
      name: "host-a",
      capacity: { cpuMillis: 4000, memoryMb: 8192, gpus: 1, maxJobs: 4 },
      labels: { zone: "eu-1", "gpu.model": "t4" },
      handlers: ["resize-image"],
      running: [{ jobId, attempt: 2 }],
    };
    const decoded = decodeRegistration(
      methods.registerWorker.deserializeRequest(methods.registerWorker.serializeRequest(request)),
    );
    expect(decoded).toEqual(Either.right(request));
  });

  it("carries every agent message intact", () => {
    const telemetry = {
      cpuPercent: 1.5,
      memoryUsedMb: 2,
      memoryTotalMb: 3,
      load1: 0.25,
      diskFreeMb: 5,
      runningJobs: 6,
      atMs: 1_700_000_000_000,
    };
    expect(decodeAgentMessage(viaAgent({ hello: { workerId: "w-1" } }))).toEqual(
      Either.right({ kind: "hello", workerId: "w-1" }),
    );
    const { atMs, ...rest } = telemetry;
    expect(decodeAgentMessage(viaAgent({ heartbeat: { telemetry } }))).toEqual(
      Either.right({ kind: "heartbeat", telemetry: { ...rest, at: atMs } }),
    );
    expect(decodeAgentMessage(viaAgent({ jobAccepted: { jobId, attempt: 3 } }))).toEqual(
      Either.right({ kind: "accepted", jobId, attempt: 3 }),
    );
    expect(decodeAgentMessage(viaAgent({ leave: {} }))).toEqual(Either.right({ kind: "leave" }));
    const batch = {
      jobId,
      attempt: 1,
      entries: [{ seq: 1, stream: "STDERR" as const, line: "é\tx", atMs: 9 }],
    };
    expect(
      decodeLogBatch(
        methods.streamLogs.deserializeRequest(methods.streamLogs.serializeRequest(batch)),
      ),
    ).toEqual(
      Either.right({
        jobId,
        attempt: 1,
        lines: [{ seq: 1, stream: "stderr", line: "é\tx", at: 9 }],
      }),
    );
  });

  it("carries every supervisor message intact", () => {
    const cases: Array<[SupervisorMessage, unknown]> = [
      [{ welcome: { workerId: "w-1" } }, { kind: "welcome", workerId: "w-1" }],
      [
        {
          assignJob: { jobId, attempt: 1, specJson: '{"name":"x"}', acceptByMs: 1_700_000_000_123 },
        },
        {
          kind: "assign",
          jobId,
          attempt: 1,
          specJson: '{"name":"x"}',
          acceptBy: 1_700_000_000_123,
        },
      ],
      [
        { cancelJob: { jobId, attempt: 2, graceMs: 500 } },
        { kind: "cancel", jobId, attempt: 2, graceMs: 500 },
      ],
      [{ drain: {} }, { kind: "drain" }],
      [{ resultAck: { jobId, attempt: 2 } }, { kind: "resultAck", jobId, attempt: 2 }],
      [
        { error: { code: 9, message: "stale", jobId, attempt: 2 } },
        { kind: "error", code: 9, message: "stale", job: { jobId, attempt: 2 } },
      ],
      [
        { error: { code: 3, message: "bad", jobId: "", attempt: 0 } },
        { kind: "error", code: 3, message: "bad" },
      ],
    ];
    for (const [message, expected] of cases) {
      expect(decodeSupervisorMessage(viaSupervisor(message))).toEqual(Either.right(expected));
    }
    // The same items in one Work frame: each decodes as it would alone, in order.
    const batched = cases.slice(1, 5).filter(([m]) => !("drain" in m));
    const items = workItems(viaSupervisor({ work: { items: batched.map(([m]) => m as never) } }));
    expect(items?.map((i) => decodeSupervisorMessage(i))).toEqual(
      batched.map(([, expected]) => Either.right(expected)),
    );
  });

  it("carries a Reports frame whose items decode as they would alone", () => {
    const items = [
      { jobAccepted: { jobId, attempt: 3 } },
      { jobResult: { jobId, attempt: 3, ...outcomeToWire({ kind: "succeeded", output: [1] }) } },
    ] as const;
    const taken = reportItems(viaAgent({ reports: { items } }));
    expect(taken?.map((i) => decodeAgentMessage(i))).toEqual(
      items.map((i) => decodeAgentMessage(viaAgent(i))),
    );
    expect(taken?.map((i) => Either.map(decodeAgentMessage(i), (r) => r.kind))).toEqual([
      Either.right("accepted"),
      Either.right("result"),
    ]);
  });

  it("decodes every outcome an agent reports to the same outcome", () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const text = fc.string({ maxLength: 50 });
    const exit = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined });
    const outcome: fc.Arbitrary<Outcome> = fc
      .oneof(
        fc.record({
          kind: fc.constant("succeeded" as const),
          exitCode: exit,
          output: fc.option(json, { nil: undefined }),
        }),
        fc.record({ kind: fc.constant("failed" as const), exitCode: exit, error: text }),
        fc.constant({ kind: "timed_out" as const }),
        fc.constant({ kind: "cancelled" as const }),
        fc.record({ kind: fc.constant("rejected" as const), reason: text }),
      )
      .map((o) => JSON.parse(JSON.stringify(o)) as Outcome);
    fc.assert(
      fc.property(outcome, fc.integer({ min: 1, max: 1000 }), (o, attempt) => {
        const decoded = decodeAgentMessage(
          viaAgent({ jobResult: { jobId, attempt, ...outcomeToWire(o) } }),
        );
        expect(decoded).toEqual(Either.right({ kind: "result", jobId, attempt, outcome: o }));
      }),
    );
  });
});
