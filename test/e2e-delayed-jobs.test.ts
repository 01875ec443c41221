/**
 * Delayed jobs end to end: the real supervisor on LMDB and a real agent process. A job delayed
 * by `delayMs` and one given a `runAt` wait `delayed`, survive a supervisor restart while they
 * wait, and run on the agent after their time; one cancelled while it waits never runs.
 */
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import {
  E2eResources,
  makeE2e,
  startAgent,
  submit,
  type Supervised,
} from "./fixtures/e2e-harness.ts";

const started = new E2eResources();
afterEach(started.teardown);

const job = (s: Supervised, id: string) => Effect.runPromise(s.running.core.store.jobs.get(id));

describe("end to end: delayed jobs", () => {
  it("wait delayed across a restart, then run on the agent after their time; a cancelled one never runs", async () => {
    const e2e = makeE2e();
    started.cleanups.push(e2e.cleanup);
    const first = await e2e.start();
    started.supervisors.push(first);
    const submittedAt = Date.now();
    const byDelay = await submit(first, {
      name: "later",
      command: { argv: ["true"] },
      delayMs: 1_500,
    });
    const runAt = submittedAt + 1_800;
    const byTime = await submit(first, {
      name: "at a time",
      command: { argv: ["true"] },
      runAt: new Date(runAt).toISOString(),
    });
    const dropped = await submit(first, {
      name: "dropped",
      command: { argv: ["true"] },
      delayMs: 1_000,
    });
    for (const id of [byDelay, byTime, dropped])
      expect((await job(first, id)).state).toBe("delayed");
    await Effect.runPromise(first.running.core.cancel(dropped));
    await first.watch.when(dropped, "cancelled");
    const byDelayDue = (await job(first, byDelay)).createdAt + 1_500;

    // Restarted while they wait: they come back delayed, as timers.
    await first.stop();
    started.supervisors.length = 0;
    const second = await e2e.start();
    started.supervisors.push(second);
    expect((await job(second, byDelay)).state).toBe("delayed");
    expect(second.running.core.system.timerOf(`job/${byDelay}`)).toBe(byDelayDue);
    const a = startAgent(second.running.grpcAddress);
    started.agents.push(a);
    await a.workerId;

    const ranDelay = await second.watch.when(byDelay, "succeeded");
    const ranTime = await second.watch.when(byTime, "succeeded");
    expect(ranDelay.at).toBeGreaterThanOrEqual(byDelayDue);
    expect(ranTime.at).toBeGreaterThanOrEqual(runAt);
    for (const [id, due] of [
      [byDelay, byDelayDue],
      [byTime, runAt],
    ] as const) {
      const stored = await job(second, id);
      expect(stored.transitions.map((t) => t.state)).toEqual([
        "delayed",
        "queued",
        "scheduled",
        "running",
        "succeeded",
      ]);
      expect(stored.transitions[1]!.at).toBeGreaterThanOrEqual(due);
    }
    const cancelled = await job(second, dropped);
    expect(cancelled.transitions.map((t) => t.state)).toEqual(["delayed", "cancelled"]);
  }, 30_000);
});
