/**
 * Handler jobs through an agent embedded with `createWorker`, in-process, over real gRPC: the
 * result and `ctx.log` lines reach the core, `ctx.signal` aborts on cancel and timeout, and the
 * agent refuses (rejected) what it cannot take: an unknown handler, more than its concurrency.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { JobContext } from "../src/agent/index.ts";
import { assign, startAgent, startHwp, type Agent, type Hwp } from "./fixtures/hwp-harness.ts";

let hwp: Hwp;
let agent: Agent;

afterEach(async () => {
  await agent?.worker.stop();
  await hwp?.server.close();
});

/** Resolves with the signal's abort reason. */
const untilAborted = (ctx: JobContext) =>
  new Promise<unknown>((resolve) =>
    ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason)),
  );

describe("handler jobs", () => {
  it("calls the handler with its input and reports its JSON result and ctx.log lines", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server, {
      handlers: {
        "resize-image": async (input, ctx) => {
          const { width } = input as { width: number };
          ctx.log(`resizing job ${ctx.jobId} attempt ${ctx.attempt}`);
          ctx.log("two\nlines", "stderr");
          return { width: width / 2, aborted: ctx.signal.aborted };
        },
      },
    });
    expect(hwp.inbound.registrations[0]?.handlers).toEqual(["resize-image"]);
    const jobId = assign(hwp.server, agent.workerId, {
      handler: { name: "resize-image", input: { width: 640 } },
    });
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "succeeded", output: { width: 320, aborted: false } });
    expect(hwp.inbound.linesOf(jobId).map((l) => [l.seq, l.stream, l.line])).toEqual([
      [1, "stdout", `resizing job ${jobId} attempt 1`],
      [2, "stderr", "two"],
      [3, "stderr", "lines"],
    ]);
    await agent.rec.waitFor("result-acked", (e) => e.jobId === jobId);
    expect(agent.worker.jobs()).toEqual([]);
  });

  it("aborts ctx.signal on cancel, and on timeout reports timed_out even if the handler ignores it", async () => {
    hwp = await startHwp();
    const reasons: unknown[] = [];
    agent = await startAgent(hwp.server, {
      timeoutGraceMs: 100,
      handlers: {
        wait: async (_input, ctx) => {
          reasons.push(await untilAborted(ctx));
          return "stopped";
        },
        stubborn: () => new Promise(() => {}),
      },
    });
    const cancelled = assign(hwp.server, agent.workerId, { handler: { name: "wait" } });
    await agent.rec.waitFor("job-started", (e) => e.jobId === cancelled);
    hwp.server.gateway.cancel(agent.workerId, { jobId: cancelled, attempt: 1, graceMs: 1000 });
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(cancelled), "cancelled")).toEqual({
      kind: "cancelled",
    });
    expect((reasons[0] as DOMException).name).toBe("AbortError");

    const timedOut = assign(hwp.server, agent.workerId, {
      handler: { name: "stubborn" },
      timeoutMs: 50,
    });
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(timedOut), "timed out")).toEqual({
      kind: "timed_out",
    });
  });

  it("gives each job its own input, even for identical specs", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server, {
      handlers: {
        bump: (input) => {
          const counter = input as { n: number };
          counter.n++;
          return counter.n;
        },
      },
    });
    const first = assign(hwp.server, agent.workerId, {
      handler: { name: "bump", input: { n: 1 } },
    });
    const second = assign(hwp.server, agent.workerId, {
      handler: { name: "bump", input: { n: 1 } },
    });
    for (const jobId of [first, second]) {
      expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "a result")).toEqual({
        kind: "succeeded",
        output: 2,
      });
    }
  });

  it("reports a throw as failed with its message, and a non-JSON result as failed", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server, {
      handlers: {
        boom: () => {
          throw new Error("no such image");
        },
        weird: () => ({ when: new Date(0) }),
      },
    });
    const boom = assign(hwp.server, agent.workerId, { handler: { name: "boom" } });
    const weird = assign(hwp.server, agent.workerId, { handler: { name: "weird" } });
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(boom), "boom")).toEqual({
      kind: "failed",
      error: "no such image",
    });
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(weird), "weird")).toMatchObject({
      kind: "failed",
      error: expect.stringContaining("at when"),
    });
  });

  it("rejects a handler it does not serve, and work beyond its concurrency", async () => {
    hwp = await startHwp();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    agent = await startAgent(hwp.server, {
      concurrency: 1,
      handlers: { hold: () => gate.then(() => 1) },
    });
    expect(hwp.inbound.registrations[0]?.capacity.maxJobs).toBe(1);

    const unknown = assign(hwp.server, agent.workerId, { handler: { name: "nope" } });
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(unknown), "unknown")).toEqual({
      kind: "rejected",
      reason: 'this agent has no handler "nope"',
    });
    const held = assign(hwp.server, agent.workerId, { handler: { name: "hold" } });
    await agent.rec.waitFor("job-started", (e) => e.jobId === held);
    const extra = assign(hwp.server, agent.workerId, { handler: { name: "hold" } });
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(extra), "extra")).toMatchObject({
      kind: "rejected",
      reason: expect.stringContaining("full"),
    });
    release();
    expect(await hwp.inbound.waitFor(() => hwp.inbound.resultOf(held), "held")).toEqual({
      kind: "succeeded",
      output: 1,
    });
    expect(hwp.inbound.starts.map((s) => s.jobId)).toEqual([held]);
  });
});
