/**
 * The HWP session and log stream as the server keeps them, driven by a hand-written client:
 * Hello binding, replacement by a newer session, pushes through the gateway, results
 * acknowledged only once the core's Effect has resolved, stale attempts refused as
 * FAILED_PRECONDITION, log batches acknowledged and de-duplicated, Leave, and shutdown.
 */
import { status } from "@grpc/grpc-js";
import { Schema } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JobSpec } from "../src/domain/job-spec.ts";
import { newJobId } from "../src/domain/ids.ts";
import { jobSpec } from "../src/domain/decode.ts";
import { startHwp, token, type Hwp } from "./fixtures/hwp-harness.ts";
import {
  client,
  openLogs,
  openSession,
  register,
  registration,
  type Stream,
} from "./fixtures/raw-session.ts";
import type { AgentMessage } from "../src/protocol/wire.ts";

let hwp: Hwp;
let c: ReturnType<typeof client>;

beforeEach(async () => {
  hwp = await startHwp();
  c = client(hwp.server.address, token);
});
afterEach(async () => {
  c.close();
  await hwp.server.close();
});

const registered = async (): Promise<string> => {
  const r = await register(c, registration());
  if (!r.ok) throw new Error(r.error.details);
  return String(r.response["workerId"]);
};

const session = async (workerId: string): Promise<Stream<AgentMessage>> => {
  const s = openSession(c, workerId);
  s.write({ hello: { workerId } });
  expect(await s.next()).toMatchObject({ msg: "welcome", welcome: { workerId } });
  return s;
};

const entries = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    stream: "STDOUT" as const,
    line: `line ${from + i}`,
    atMs: Date.now(),
  }));

describe("sessions", () => {
  it("binds a session to a registered worker and pushes assignments, cancels and drains", async () => {
    const workerId = await registered();
    expect(hwp.inbound.registrations[0]).toEqual({
      name: "raw-agent",
      capacity: { cpuMillis: 2000, memoryMb: 1024, gpus: 0, maxJobs: 2 },
      labels: { zone: "a" },
      handlers: [],
      running: [],
    });
    expect(
      hwp.server.gateway.assign("w-nobody", {
        jobId: newJobId(),
        attempt: 1,
        spec: jobSpec({ name: "x", command: { argv: ["true"] } }),
        acceptBy: 0,
      }),
    ).toBe(false);
    const s = await session(workerId);

    const spec = jobSpec({ name: "echo", command: { argv: ["echo", "hi"] }, timeoutMs: 1000 });
    const jobId = newJobId();
    expect(hwp.server.gateway.assign(workerId, { jobId, attempt: 2, spec, acceptBy: 1234 })).toBe(
      true,
    );
    const pushed = (await s.next())["assignJob"] as Record<string, unknown>;
    expect(pushed).toMatchObject({ jobId, attempt: 2, acceptByMs: "1234" });
    expect(Schema.decodeUnknownSync(JobSpec)(JSON.parse(String(pushed["specJson"])))).toEqual(spec);

    expect(hwp.server.gateway.cancel(workerId, { jobId, attempt: 2, graceMs: 500 })).toBe(true);
    expect(await s.next()).toMatchObject({ cancelJob: { jobId, attempt: 2, graceMs: 500 } });
    expect(hwp.server.gateway.drain(workerId)).toBe(true);
    expect(await s.next()).toMatchObject({ msg: "drain" });
    s.cancel();
    await hwp.inbound.waitFor(() => hwp.inbound.disconnects.includes(workerId), "disconnected");
  });

  it("coalesces the work of one turn into one Work frame, in order, and never lets a drain overtake it", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    const spec = jobSpec({ name: "echo", command: { argv: ["echo", "hi"] } });
    const [a, b, c2] = [newJobId(), newJobId(), newJobId()];
    for (const jobId of [a, b, c2]) {
      expect(hwp.server.gateway.assign(workerId, { jobId, attempt: 1, spec, acceptBy: 9 })).toBe(
        true,
      );
    }
    hwp.server.gateway.cancel(workerId, { jobId: b, attempt: 1, graceMs: 5 });
    hwp.server.gateway.drain(workerId);
    const frame = await s.next();
    expect(frame["msg"]).toBe("work");
    const items = (frame["work"] as { items: Array<Record<string, unknown>> }).items;
    expect(items.map((i) => i["msg"])).toEqual([
      "assignJob",
      "assignJob",
      "assignJob",
      "cancelJob",
    ]);
    expect(items.map((i) => (i[String(i["msg"])] as { jobId: string }).jobId)).toEqual([
      a,
      b,
      c2,
      b,
    ]);
    expect(await s.next()).toMatchObject({ msg: "drain" });
    s.cancel();
  });

  it("takes a Reports frame item by item: acknowledges the good ones together, refuses the bad one by name", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    const [a, b, bad] = [newJobId(), newJobId(), newJobId()];
    s.write({
      reports: {
        items: [
          { jobAccepted: { jobId: a, attempt: 1 } },
          { jobAccepted: { jobId: b, attempt: 1 } },
          { jobResult: { jobId: a, attempt: 1, succeeded: { outputJson: "1" } } },
          { jobResult: { jobId: bad, attempt: 1, succeeded: { outputJson: "{not json" } } },
          { jobResult: { jobId: b, attempt: 1, failed: { exitCode: 3, error: "no" } } },
        ],
      },
    });
    expect(await s.next()).toMatchObject({
      error: { code: status.INVALID_ARGUMENT, jobId: bad, attempt: 1 },
    });
    expect(await s.next()).toMatchObject({
      msg: "work",
      work: {
        items: [{ resultAck: { jobId: a, attempt: 1 } }, { resultAck: { jobId: b, attempt: 1 } }],
      },
    });
    expect(hwp.inbound.starts.map((x) => x.jobId)).toEqual([a, b]);
    expect(hwp.inbound.resultOf(a)).toEqual({ kind: "succeeded", output: 1 });
    expect(hwp.inbound.resultOf(b)).toMatchObject({ kind: "failed", exitCode: 3 });
    expect(hwp.inbound.resultOf(bad)).toBeUndefined();
    s.cancel();
  });

  it("refuses a session for a worker that never registered, and one that does not start with Hello", async () => {
    const s = openSession(c);
    s.write({ hello: { workerId: "w-unknown" } });
    expect((await s.status).code).toBe(status.FAILED_PRECONDITION);
    const t = openSession(c);
    t.write({
      heartbeat: {
        telemetry: {
          cpuPercent: 1,
          memoryUsedMb: 1,
          memoryTotalMb: 2,
          load1: 0,
          diskFreeMb: 1,
          runningJobs: 0,
          atMs: 1,
        },
      },
    });
    expect((await t.status).code).toBe(status.INVALID_ARGUMENT);
  });

  it("replaces an older session for the same worker without reporting a disconnection", async () => {
    const workerId = await registered();
    const first = await session(workerId);
    const second = await session(workerId);
    expect((await first.status).code).toBe(status.ABORTED);
    expect(hwp.server.gateway.drain(workerId)).toBe(true);
    expect(await second.next()).toMatchObject({ msg: "drain" });
    expect(hwp.inbound.disconnects).toEqual([]);
    second.cancel();
  });

  it("passes heartbeats on, and refuses a malformed one naming the field", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    const telemetry = {
      cpuPercent: 12.5,
      memoryUsedMb: 100,
      memoryTotalMb: 200,
      load1: 0.5,
      diskFreeMb: 1000,
      runningJobs: 1,
      atMs: 42,
    };
    s.write({ heartbeat: { telemetry } });
    const hb = await hwp.inbound.waitFor(() => hwp.inbound.heartbeats[0], "a heartbeat");
    const { atMs: _, ...rest } = telemetry;
    expect(hb).toMatchObject({ workerId, telemetry: { ...rest, at: 42 } });
    s.write({ heartbeat: { telemetry: { ...telemetry, cpuPercent: 250 } } });
    expect(await s.next()).toMatchObject({
      error: {
        code: status.INVALID_ARGUMENT,
        message: expect.stringContaining("heartbeat.telemetry.cpuPercent"),
      },
    });
    s.cancel();
  });

  it("acknowledges a result only once the core's Effect has resolved", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    let release!: () => void;
    hwp.inbound.gate = () => new Promise<void>((r) => (release = r));
    const jobId = newJobId();
    s.write({ jobAccepted: { jobId, attempt: 1 } });
    s.write({ jobResult: { jobId, attempt: 1, succeeded: { outputJson: '{"n":1}' } } });
    await hwp.inbound.waitFor(() => hwp.inbound.resultCalls === 1, "the result to reach the core");
    await expect(s.next(200)).rejects.toThrow("no message in time");
    expect(hwp.inbound.results).toHaveLength(0);
    release();
    expect(await s.next()).toMatchObject({ resultAck: { jobId, attempt: 1 } });
    expect(hwp.inbound.starts).toEqual([{ workerId, jobId, attempt: 1 }]);
    expect(hwp.inbound.resultOf(jobId)).toEqual({ kind: "succeeded", output: { n: 1 } });
    s.cancel();
  });

  it("refuses a stale attempt's report with FAILED_PRECONDITION naming the job", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    const jobId = newJobId();
    hwp.inbound.stale.add(`${jobId}/1`);
    s.write({ jobResult: { jobId, attempt: 1, failed: { exitCode: 2, error: "boom" } } });
    expect(await s.next()).toMatchObject({
      error: { code: status.FAILED_PRECONDITION, jobId, attempt: 1 },
    });
    s.write({ jobResult: { jobId, attempt: 1, succeeded: { outputJson: "{not json" } } });
    expect(await s.next()).toMatchObject({
      error: {
        code: status.INVALID_ARGUMENT,
        jobId,
        message: expect.stringContaining("jobResult.succeeded.outputJson"),
      },
    });
    expect(hwp.inbound.results).toHaveLength(0);
    s.cancel();
  });

  it("tells the core a worker left on Leave, then ends the session OK", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    s.write({ leave: {} });
    expect((await s.status).code).toBe(status.OK);
    expect(hwp.inbound.lefts).toEqual([workerId]);
    expect(hwp.inbound.disconnects).toEqual([]);
    const again = openSession(c);
    again.write({ hello: { workerId } });
    expect((await again.status).code).toBe(status.FAILED_PRECONDITION);
  });

  it("ends sessions with UNAVAILABLE when the server closes", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    await hwp.server.close();
    expect((await s.status).code).toBe(status.UNAVAILABLE);
  });
});

describe("log streams", () => {
  it("acknowledges each batch once stored, skips re-sent lines and ends OK on half-close", async () => {
    const workerId = await registered();
    const s = await session(workerId);
    const jobId = newJobId();
    const logs = openLogs(c, workerId);
    logs.write({ jobId, attempt: 1, entries: entries(1, 3) });
    expect(await logs.next()).toEqual({ seq: "3" });
    logs.write({ jobId, attempt: 1, entries: entries(2, 5) });
    expect(await logs.next()).toEqual({ seq: "5" });
    logs.end();
    expect((await logs.status).code).toBe(status.OK);
    expect(hwp.inbound.linesOf(jobId).map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(hwp.inbound.linesOf(jobId)[0]).toMatchObject({ stream: "stdout", line: "line 1" });
    s.cancel();
  });

  it("refuses logs without a session, with gaps, or of a stale attempt", async () => {
    const workerId = await registered();
    expect((await openLogs(c, workerId).status).code).toBe(status.FAILED_PRECONDITION);
    const s = await session(workerId);
    const jobId = newJobId();
    const gappy = openLogs(c, workerId);
    gappy.write({ jobId, attempt: 1, entries: [...entries(1, 2), ...entries(4, 4)] });
    const gap = await gappy.status;
    expect(gap.code).toBe(status.INVALID_ARGUMENT);
    expect(gap.details).toContain("entries.2.seq");
    hwp.inbound.stale.add(`${jobId}/1`);
    const stale = openLogs(c, workerId);
    stale.write({ jobId, attempt: 1, entries: entries(1, 1) });
    expect((await stale.status).code).toBe(status.FAILED_PRECONDITION);
    s.cancel();
  });
});
