/**
 * Named queues in the scheduler, example by example: pause and resume (queued jobs stay,
 * resume places them in order), a queue's concurrency limit across workers, a queue's rate
 * limit and a rate limit key, and what each says in the job's explanation.
 */
import { describe, expect, it } from "vitest";
import { queueDefaults, type QueueSettings } from "../src/domain/queue.ts";
import type { Scheduler } from "../src/scheduler/index.ts";
import { cap, job, make } from "./fixtures/scheduler.ts";

const worker = (s: Scheduler, workerId: string, maxJobs = 8) =>
  s.handle({
    type: "register",
    workerId,
    capacity: cap({ maxJobs }),
    labels: {},
    handlers: [],
    at: 0,
  });

const settings = (s: Scheduler, name: string, over: Partial<QueueSettings>) =>
  s.handle({ type: "queue_settings", settings: { ...queueDefaults(name), ...over } });

const stats = (s: Scheduler, name: string, now = 0) => s.queueStats(now).get(name);

const ids = (s: Scheduler, now: number) => s.schedule(now).map((p) => p.jobId);

describe("pause and resume", () => {
  it("a paused queue keeps its jobs queued; other queues go on; resume places them in order", () => {
    const s = make();
    worker(s, "w");
    s.handle({ type: "enqueue", job: job("running", { queue: "mail" }) });
    expect(ids(s, 0)).toEqual(["running"]);
    settings(s, "mail", { paused: true });
    for (const id of ["m1", "m2", "m3"]) {
      s.handle({ type: "enqueue", job: job(id, { queue: "mail", enqueuedAt: 1 }) });
    }
    s.handle({ type: "enqueue", job: job("other", { queue: "reports", enqueuedAt: 1 }) });
    expect(ids(s, 2)).toEqual(["other"]);
    expect(stats(s, "mail")).toMatchObject({ queued: 3, running: 1 });
    expect(s.explain("m1", 2)?.reason).toBe("queue `mail` is paused");
    // A full pass (capacity changed) keeps them queued too, and the running job is untouched.
    s.release("other");
    expect(ids(s, 3)).toEqual([]);
    expect(s.state.reservations.has("running")).toBe(true);
    settings(s, "mail", { paused: false });
    expect(ids(s, 4)).toEqual(["m1", "m2", "m3"]);
    expect(stats(s, "mail")).toMatchObject({ queued: 0, running: 4 });
  });

  it("resume keeps priority order, then arrival order", () => {
    const s = make();
    worker(s, "w", 1);
    settings(s, "q", { paused: true });
    s.handle({ type: "enqueue", job: job("low", { queue: "q", priority: 0 }) });
    s.handle({ type: "enqueue", job: job("high", { queue: "q", priority: 900 }) });
    s.handle({ type: "enqueue", job: job("low2", { queue: "q", priority: 0 }) });
    expect(ids(s, 0)).toEqual([]);
    settings(s, "q", { paused: false });
    const order: string[] = [];
    for (let t = 1; t < 5; t++) {
      const placed = ids(s, t);
      order.push(...placed);
      for (const id of placed) s.release(id);
    }
    expect(order).toEqual(["high", "low", "low2"]);
  });
});

describe("concurrency limit", () => {
  it("at most the limit of the queue's jobs hold a worker, across workers", () => {
    const s = make();
    worker(s, "a");
    worker(s, "b");
    settings(s, "deploy", { concurrency: 1 });
    for (const id of ["d1", "d2", "d3"]) {
      s.handle({ type: "enqueue", job: job(id, { queue: "deploy" }) });
    }
    s.handle({ type: "enqueue", job: job("free") });
    expect(ids(s, 0)).toEqual(["d1", "free"]);
    expect(s.explain("d2", 0)?.reason).toBe(
      "queue `deploy` is at its concurrency limit (1 of 1 running)",
    );
    expect(ids(s, 1)).toEqual([]);
    s.release("d1");
    expect(ids(s, 2)).toEqual(["d2"]);
    settings(s, "deploy", { concurrency: 2 });
    expect(ids(s, 3)).toEqual(["d3"]);
  });
});

describe("rate limits", () => {
  it("a queue's rate limit: max per window, the wake-up time, and the explanation", () => {
    const s = make();
    worker(s, "w");
    settings(s, "api", { rateLimit: { max: 2, perMs: 1000 } });
    for (const id of ["a1", "a2", "a3"]) {
      s.handle({ type: "enqueue", job: job(id, { queue: "api" }) });
    }
    expect(ids(s, 100)).toEqual(["a1", "a2"]);
    expect(s.wakeAt).toBe(1100);
    expect(s.explain("a3", 680)?.reason).toBe("rate limited: queue `api`, next slot in 420 ms");
    expect(stats(s, "api", 680)?.rateLimited).toBe(1);
    // Nothing changed before the slot: no pass places it.
    expect(ids(s, 1099)).toEqual([]);
    expect(ids(s, 1100)).toEqual(["a3"]);
    expect(s.wakeAt).toBe(Number.POSITIVE_INFINITY);
    expect(stats(s, "api", 1100)?.rateLimited).toBe(0);
  });

  it("a rate limit key holds only the jobs naming it, in any queue", () => {
    const s = make();
    worker(s, "w");
    const rateLimit = { key: "api.github", max: 1, perMs: 500 };
    s.handle({ type: "enqueue", job: job("g1", { rateLimit }) });
    s.handle({ type: "enqueue", job: job("g2", { rateLimit, queue: "other" }) });
    s.handle({ type: "enqueue", job: job("plain") });
    expect(ids(s, 0)).toEqual(["g1", "plain"]);
    expect(s.explain("g2", 80)?.reason).toBe("rate limited: key `api.github`, next slot in 420 ms");
    expect(ids(s, 500)).toEqual(["g2"]);
  });

  it("counts every job a limit holds, not only the first of its kind the pass looked at", () => {
    const s = make();
    worker(s, "w");
    const rateLimit = { key: "k", max: 1, perMs: 1000 };
    for (const id of ["k1", "k2", "k3", "k4"]) {
      s.handle({ type: "enqueue", job: job(id, { rateLimit, queue: "q" }) });
    }
    s.handle({ type: "enqueue", job: job("free", { queue: "q" }) });
    expect(ids(s, 0)).toEqual(["k1", "free"]);
    expect(stats(s, "q", 10)).toMatchObject({ queued: 3, running: 2, rateLimited: 3 });
    // Once the slot is open, none is held any more (until a pass takes it).
    expect(stats(s, "q", 1000)?.rateLimited).toBe(0);
  });

  it("removing a queue's limit lets its held jobs go at the next pass", () => {
    const s = make();
    worker(s, "w");
    settings(s, "api", { rateLimit: { max: 1, perMs: 60_000 } });
    s.handle({ type: "enqueue", job: job("x1", { queue: "api" }) });
    s.handle({ type: "enqueue", job: job("x2", { queue: "api" }) });
    expect(ids(s, 0)).toEqual(["x1"]);
    settings(s, "api", { rateLimit: null });
    expect(ids(s, 1)).toEqual(["x2"]);
  });
});

describe("queue stats", () => {
  it("lists the default queue, configured queues and queues with jobs", () => {
    const s = make();
    settings(s, "configured", { paused: true });
    s.handle({ type: "enqueue", job: job("j", { queue: "busy" }) });
    expect([...s.queueStats(0).keys()]).toEqual(["busy", "configured", "default"]);
    expect(stats(s, "configured")?.settings.paused).toBe(true);
    expect(stats(s, "busy")).toMatchObject({ queued: 1, running: 0, rateLimited: 0 });
  });
});
