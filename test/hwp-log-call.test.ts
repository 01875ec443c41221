/**
 * The StreamLogs handler (src/hwp/log-call.ts) driven by hand, one event at a time, so the
 * order of arrivals and appends is exact: what arrives while an append is with the core goes
 * in the next append, acknowledged once with its last seq; the call pauses past its queue
 * limit and resumes as the queue drains; it ends OK only once everything is acknowledged.
 */
import { EventEmitter } from "node:events";
import { Metadata } from "@grpc/grpc-js";
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { newJobId } from "../src/domain/ids.ts";
import { handleStreamLogs, maxQueuedBytes } from "../src/hwp/log-call.ts";
import { encodeLogBatch } from "../src/protocol/log-batch-encode.ts";
import { logBatchFromBytes } from "../src/hwp/log-batch-bytes.ts";
import { LogProgress } from "../src/hwp/log-progress.ts";
import { SessionRegistry } from "../src/hwp/sessions.ts";
import { memorySecrets, WorkerIdentities } from "../src/hwp/identity.ts";
import { workerIdHeader, workerSecretHeader, type LogEntry } from "../src/protocol/wire.ts";
import type { AgentInbound, LogLine } from "../src/supervisor/gateway.ts";

const workerId = "w-logs";
const secret = "the-worker-secret";
const jobId = newJobId();

const entries = (from: number, to: number, line = (n: number) => `line ${n}`): LogEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    stream: "STDOUT",
    line: line(from + i),
    atMs: 1,
  }));

/** A batch as the server's deserializer hands it over. */
const batch = (from: number, to: number, line?: (n: number) => string) =>
  logBatchFromBytes(encodeLogBatch({ jobId, attempt: 1, entries: entries(from, to, line) }))!;

class FakeCall extends EventEmitter {
  readonly metadata = new Metadata();
  readonly acks: number[] = [];
  paused = false;
  ended = false;
  pauses = 0;
  constructor() {
    super();
    this.metadata.set(workerIdHeader, workerId);
    this.metadata.set(workerSecretHeader, secret);
  }
  pause() {
    this.paused = true;
    this.pauses++;
  }
  resume() {
    this.paused = false;
  }
  write(ack: { seq: number }) {
    this.acks.push(ack.seq);
  }
  end() {
    this.ended = true;
  }
}

/** A core whose appends wait until the test lets each one through. */
const gatedCore = () => {
  const appends: Array<{ lines: ReadonlyArray<LogLine>; release: () => void }> = [];
  const changed = new EventEmitter();
  const inbound = {
    logs: (_w: string, _j: string, _a: number, lines: ReadonlyArray<LogLine>) =>
      Effect.async<void>((resume) => {
        appends.push({ lines, release: () => resume(Effect.void) });
        changed.emit("append");
      }),
  } as unknown as AgentInbound;
  const appended = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (appends.length < n) return;
        changed.off("append", check);
        resolve();
      };
      changed.on("append", check);
      check();
    });
  return { inbound, appends, appended };
};

const open = async () => {
  const core = gatedCore();
  const registry = new SessionRegistry(10);
  registry.bind({ workerId, push: () => {}, work: () => {}, close: () => {} });
  const call = new FakeCall();
  const identities = new WorkerIdentities(memorySecrets());
  await identities.claim(workerId, secret, () => undefined);
  await handleStreamLogs({
    inbound: core.inbound,
    registry,
    authenticate: async () => ({ ok: true }),
    logProgress: new LogProgress(),
    identities,
  })(call as never);
  return { call, ...core };
};

/** Lets the handler's promise continuations run (no timers involved). */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe("StreamLogs handler", () => {
  it("appends what arrived during an append in one go, acknowledged with its last seq", async () => {
    const { call, appends, appended } = await open();
    call.emit("data", batch(1, 3));
    await appended(1);
    call.emit("data", batch(4, 6));
    call.emit("data", batch(7, 9));
    call.emit("data", batch(8, 10)); // overlaps what came before: only 10 is new
    expect(appends).toHaveLength(1);
    appends[0]!.release();
    await appended(2);
    expect(call.acks).toEqual([3]);
    expect(appends[1]!.lines.map((l) => l.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    call.emit("end");
    await settle();
    expect(call.ended).toBe(false); // not before its last lines are durable
    appends[1]!.release();
    await settle();
    expect(call.acks).toEqual([3, 10]);
    expect(call.ended).toBe(true);
  });

  it("pauses the call past its queue limit and resumes it as the queue is appended", async () => {
    const { call, appends, appended } = await open();
    const big = "x".repeat(Math.ceil(maxQueuedBytes / 3));
    call.emit("data", batch(1, 1));
    await appended(1);
    for (let i = 2; i <= 5; i++)
      call.emit(
        "data",
        batch(i, i, () => big),
      );
    expect(call.paused).toBe(true);
    expect(call.pauses).toBe(1);
    appends[0]!.release();
    await appended(2);
    expect(call.paused).toBe(false);
    appends[1]!.release();
    await settle();
    expect(call.acks).toEqual([1, 5]);
  });

  it("acknowledges a batch it has already forwarded without appending it again", async () => {
    const { call, appends, appended } = await open();
    call.emit("data", batch(1, 2));
    await appended(1);
    appends[0]!.release();
    await settle();
    call.emit("data", batch(1, 2)); // sent again: its LogAck was lost
    await settle();
    expect(appends).toHaveLength(1);
    expect(call.acks).toEqual([2, 2]);
  });
});
