/**
 * `runHandler` alone (src/agent/handler-job.ts): `ctx.signal` is made only when the handler
 * reads it, yet reads the same whenever it is read — aborted with the cancel's or timeout's
 * reason if the stop came first — and the outcome is decided once, by the handler or by the
 * grace period, whichever ends first.
 */
import { describe, expect, it } from "vitest";
import { runHandler, type JobContext, type JobHandler } from "../src/agent/handler-job.ts";

const run = (handler: JobHandler, timeoutMs?: number) =>
  runHandler({
    jobId: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    attempt: 1,
    handler,
    input: null,
    timeoutMs,
    timeoutGraceMs: 0,
    log: () => {},
  });

/** A handler that hands its context out and waits until `release` is called. */
const held = () => {
  let release: (value: unknown) => void = () => {};
  let ctx: JobContext | undefined;
  const gate = new Promise((resolve) => (release = resolve));
  const handler: JobHandler = (_input, c) => {
    ctx = c;
    return gate;
  };
  return { handler, release: (v: unknown) => release(v), ctx: () => ctx! };
};

describe("runHandler", () => {
  it("gives a signal read after the cancel already aborted, with the cancel's reason", async () => {
    const h = held();
    const job = run(h.handler);
    await Promise.resolve(); // the handler is called on the next microtask
    await Promise.resolve();
    job.cancel(1000);
    const signal = h.ctx().signal;
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe("AbortError");
    expect(h.ctx().signal).toBe(signal);
    h.release("late");
    expect(await job.outcome).toEqual({ kind: "cancelled" });
  });

  it("aborts a signal read before the stop, once, with the timeout's reason", async () => {
    const reasons: unknown[] = [];
    const job = run(
      (_input, ctx) =>
        new Promise((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            reasons.push(ctx.signal.reason);
            resolve("stopped");
          }),
        ),
      1,
    );
    expect(await job.outcome).toEqual({ kind: "timed_out" });
    expect(reasons.map((r) => (r as DOMException).name)).toEqual(["TimeoutError"]);
  });

  it("decides by the grace period when the handler never settles, and ignores it later", async () => {
    const h = held();
    const job = run(h.handler);
    await Promise.resolve();
    await Promise.resolve();
    job.cancel(0);
    expect(await job.outcome).toEqual({ kind: "cancelled" });
    h.release({ too: "late" });
    expect(await job.outcome).toEqual({ kind: "cancelled" });
  });

  it("reports the handler's JSON result, and a non-JSON one as a failure", async () => {
    expect(await run(() => ({ ok: [1, 2] })).outcome).toEqual({
      kind: "succeeded",
      output: { ok: [1, 2] },
    });
    expect(await run(() => undefined).outcome).toEqual({ kind: "succeeded", output: null });
    const bad = await run(() => ({ n: 1n })).outcome;
    expect(bad.kind).toBe("failed");
    expect(await run(() => Promise.reject(new Error("boom"))).outcome).toEqual({
      kind: "failed",
      error: "boom",
    });
  });
});
