/**
 * The queue side of the scheduler, example by example: priorities, FIFO within a priority,
 * aging (with its exact boundary), concurrency keys, the fresh-only pass against the full pass
 * after a capacity change, and the pause/resume/drain control.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkerCapacity } from "../src/domain/worker.ts";
import { Scheduler, type QueuedJob, type SchedulerConfig } from "../src/scheduler/index.ts";
import { cap, job, make } from "./fixtures/scheduler.ts";

const register = (s: Scheduler, workerId: string, capacity: WorkerCapacity = cap()) =>
  s.handle({ type: "register", workerId, capacity, labels: {}, handlers: [], at: 0 });

const enqueue = (s: Scheduler, ...jobs: QueuedJob[]) => {
  for (const j of jobs) s.handle({ type: "enqueue", job: j });
};

const ids = (s: Scheduler, now: number) => s.schedule(now).map((p) => p.jobId);

/**
 * A scheduler with one single-slot worker whose last pass is done: the next pass only looks at
 * jobs enqueued since (the fresh-only pass), unless capacity changes first.
 */
const oneSlot = (over: Partial<SchedulerConfig> = {}) => {
  const s = make(over);
  register(s, "w", cap({ maxJobs: 1 }));
  expect(s.schedule(0)).toEqual([]);
  return s;
};

/** Drains the queue one placement per pass, releasing each job after it is placed. */
const order = (s: Scheduler, now: number): string[] => {
  const out: string[] = [];
  for (;;) {
    const placed = s.schedule(now);
    if (placed.length === 0) return out;
    expect(placed).toHaveLength(1);
    out.push(placed[0]!.jobId);
    s.release(placed[0]!.jobId);
  }
};

describe("priorities and FIFO", () => {
  it("the highest priority first, also when the jobs arrive in one fresh-only pass", () => {
    const s = oneSlot();
    enqueue(
      s,
      job("low", { priority: 0 }),
      job("mid", { priority: 50 }),
      job("high", { priority: 100 }),
    );
    expect(order(s, 1)).toEqual(["high", "mid", "low"]);
  });

  it("the highest priority first in a full pass", () => {
    const s = make();
    enqueue(s, job("low", { priority: 0 }), job("high", { priority: 100 }));
    register(s, "w", cap({ maxJobs: 1 }));
    expect(order(s, 1)).toEqual(["high", "low"]);
  });

  it("places in priority order within one pass when everything fits", () => {
    for (const fresh of [true, false]) {
      const s = fresh ? oneSlot() : make();
      if (fresh) register(s, "big"); // a capacity change: …
      if (fresh) s.schedule(0); // … consumed, so the next pass is fresh-only
      const priorities = [10, 0, 100, 50, 100, 0, 10];
      enqueue(s, ...priorities.map((priority, i) => job(`j${i}`, { priority })));
      if (!fresh) register(s, "big");
      expect(ids(s, 1)).toEqual(["j2", "j4", "j3", "j0", "j6", "j1", "j5"]);
    }
  });

  it("first in, first out within a priority", () => {
    const s = oneSlot();
    enqueue(s, job("a"), job("b"), job("c"), job("d", { priority: 1 }));
    expect(order(s, 1)).toEqual(["d", "a", "b", "c"]);
  });

  it("FIFO is by arrival across passes too", () => {
    const s = oneSlot();
    enqueue(s, job("a"));
    expect(ids(s, 1)).toEqual(["a"]);
    enqueue(s, job("b"), job("c"));
    expect(ids(s, 2)).toEqual([]);
    enqueue(s, job("d"));
    s.release("a");
    expect(order(s, 3)).toEqual(["b", "c", "d"]);
  });

  it("a placement reports its own priority and time in the queue", () => {
    const s = oneSlot();
    enqueue(s, job("j", { priority: 7, enqueuedAt: 40 }));
    expect(s.schedule(100)).toEqual([
      { jobId: "j", workerId: "w", at: 100, waitedMs: 60, priority: 7, replaced: false },
    ]);
  });
});

describe("aging", () => {
  // Effective priority = priority + floor(waited / agingMs) * agingStep. A job of priority 0
  // enqueued at 0 ties a priority-100 job enqueued at `now` once floor(now / 1000) * 50 = 100,
  // i.e. from now = 2000; on a tie the older job goes first.
  const aging = { agingMs: 1000, agingStep: 50 };

  const race = (now: number, fresh: boolean): string => {
    const s = fresh ? oneSlot(aging) : make(aging);
    enqueue(s, job("old-low", { priority: 0, enqueuedAt: 0 }));
    enqueue(s, job("new-high", { priority: 100, enqueuedAt: now }));
    if (!fresh) register(s, "w", cap({ maxJobs: 1 }));
    const placed = s.schedule(now);
    expect(placed).toHaveLength(1);
    return placed[0]!.jobId;
  };

  for (const fresh of [false, true]) {
    const pass = fresh ? "fresh-only pass" : "full pass";
    it(`the new high job wins at 1999 ms (${pass})`, () => {
      expect(race(1999, fresh)).toBe("new-high");
    });
    it(`the old low job wins from 2000 ms (${pass})`, () => {
      expect(race(2000, fresh)).toBe("old-low");
      expect(race(2001, fresh)).toBe("old-low");
    });
  }

  it("aging lifts every job alike: a higher job enqueued later keeps its lead", () => {
    // old-low at 0, new-high at 500: low = floor(t/1000)*50, high = 100 + floor((t-500)/1000)*50,
    // so high leads by 50 or 100 whenever both have waited; aging only lifts old jobs past new ones.
    const s = make(aging);
    enqueue(s, job("old-low", { priority: 0, enqueuedAt: 0 }));
    enqueue(s, job("new-high", { priority: 100, enqueuedAt: 500 }));
    register(s, "w", cap({ maxJobs: 1 }));
    expect(ids(s, 10_000)).toEqual(["new-high"]);
  });

  it("agingMs 0 turns aging off", () => {
    const s = make({ agingMs: 0, agingStep: 50 });
    enqueue(s, job("old-low", { priority: 0, enqueuedAt: 0 }));
    enqueue(s, job("new-high", { priority: 1, enqueuedAt: 1e9 }));
    register(s, "w", cap({ maxJobs: 1 }));
    expect(ids(s, 1e9)).toEqual(["new-high"]);
    expect(s.queue.effectivePriority(job("x", { priority: 3 }), 1e12)).toBe(3);
  });
});

describe("concurrency keys", () => {
  it("places at most one job per key by default; a release lets the next one in", () => {
    const s = make();
    register(s, "w");
    const keyed = (id: string) => job(id, { concurrencyKey: "db" });
    enqueue(
      s,
      keyed("a"),
      keyed("b"),
      keyed("c"),
      job("free"),
      job("other", { concurrencyKey: "x" }),
    );
    expect(ids(s, 0)).toEqual(["a", "free", "other"]);
    expect(ids(s, 1)).toEqual([]);
    s.release("a");
    expect(ids(s, 2)).toEqual(["b"]);
    s.release("b");
    expect(ids(s, 3)).toEqual(["c"]);
  });

  it("takes per-key limits from the config, others keep the default", () => {
    const s = make({ concurrencyLimits: { db: 2 }, defaultConcurrencyLimit: 3 });
    register(s, "w");
    enqueue(
      s,
      ...[1, 2, 3].map((i) => job(`db${i}`, { concurrencyKey: "db" })),
      ...[1, 2, 3, 4].map((i) => job(`q${i}`, { concurrencyKey: "queue" })),
    );
    expect(ids(s, 0)).toEqual(["db1", "db2", "q1", "q2", "q3"]);
    s.release("db1");
    expect(ids(s, 1)).toEqual(["db3"]);
    s.release("q2");
    expect(ids(s, 2)).toEqual(["q4"]);
  });

  it("a key held back does not hold back the jobs behind it", () => {
    const s = oneSlot();
    register(s, "w2", cap({ maxJobs: 1 }));
    enqueue(
      s,
      job("k1", { concurrencyKey: "k", priority: 9 }),
      job("k2", { concurrencyKey: "k", priority: 9 }),
    );
    enqueue(s, job("plain"));
    expect(ids(s, 1)).toEqual(["k1", "plain"]);
  });

  it("a lost worker gives its keys back: the job is placed again elsewhere", () => {
    const s = make({ strategy: "binpack" });
    register(s, "a");
    enqueue(s, job("j", { concurrencyKey: "db" }), job("k", { concurrencyKey: "db" }));
    expect(ids(s, 0)).toEqual(["j"]);
    register(s, "b");
    s.lost("a", 5);
    // j is queued again behind k (it re-entered the queue later): k takes the key.
    expect(ids(s, 6)).toEqual(["k"]);
    s.release("k");
    expect(s.schedule(7)).toMatchObject([{ jobId: "j", workerId: "b", replaced: true }]);
  });

  it("a removed worker gives its keys back too", () => {
    // Before the fix, remove_worker released the reservation in ClusterState only: the key
    // stayed taken for ever and the job id was still "placed", so enqueueing it was ignored.
    const s = make();
    register(s, "a");
    enqueue(s, job("j", { concurrencyKey: "db" }));
    expect(ids(s, 0)).toEqual(["j"]);
    s.handle({ type: "remove_worker", workerId: "a" });
    register(s, "b");
    enqueue(s, job("k", { concurrencyKey: "db" }), job("j", { concurrencyKey: "db" }));
    expect(s.queue.size).toBe(2);
    expect(s.schedule(1)).toMatchObject([{ jobId: "k", workerId: "b", replaced: false }]);
    s.release("k");
    expect(s.schedule(2)).toMatchObject([{ jobId: "j", workerId: "b", replaced: true }]);
  });
});

describe("fresh-only and full passes", () => {
  const d = { cpuMillis: 600, memoryMb: 0, gpus: 0 };

  it("a job that did not fit is placed after a release", () => {
    const s = make();
    register(s, "w", cap({ cpuMillis: 1000 }));
    enqueue(s, job("j1", { demand: d }));
    expect(ids(s, 0)).toEqual(["j1"]);
    enqueue(s, job("j2", { demand: d }));
    expect(ids(s, 1)).toEqual([]); // fresh-only pass: j2 does not fit
    expect(ids(s, 2)).toEqual([]); // nothing new, nothing freed
    s.release("j1");
    expect(ids(s, 3)).toEqual(["j2"]); // full pass after the capacity change
  });

  it("a job that did not fit is placed after a new worker registers or one reconnects", () => {
    const s = make();
    register(s, "w", cap({ cpuMillis: 1000 }));
    enqueue(s, job("j1", { demand: d }), job("j2", { demand: d }), job("j3", { demand: d }));
    expect(ids(s, 0)).toEqual(["j1"]);
    register(s, "v", cap({ cpuMillis: 1000 }));
    expect(ids(s, 1)).toEqual(["j2"]);
    s.lost("v", 2); // j2 back in the queue
    expect(ids(s, 2)).toEqual([]);
    register(s, "v", cap({ cpuMillis: 1000 })); // reconnect
    expect(ids(s, 3)).toEqual(["j3"]); // j3 is older than the re-queued j2
  });

  it("a big job that does not fit does not block a smaller one behind it", () => {
    const s = oneSlot();
    enqueue(s, job("big", { demand: { cpuMillis: 5000, memoryMb: 0, gpus: 0 }, priority: 9 }));
    enqueue(s, job("small"));
    expect(ids(s, 1)).toEqual(["small"]);
    expect(s.queue.has("big")).toBe(true);
  });

  // Jobs of one spec share its parts (spec-intern.ts), and the scheduler keys a job's group
  // from the last job's when every part is the same object: one part that differs is a group
  // of its own, which a job of the other does not hold back.
  it.each([
    ["labels", { labels: { gpu: "yes" } }, { labels: {} }],
    ["constraints", { constraints: [{ key: "zone", op: "exists" }] }, { constraints: [] }],
    ["handler", { handler: "resize" }, { handler: undefined }],
  ] as const)("a job that differs only in its %s is not held back", (_, blocked, free) => {
    const s = oneSlot();
    const shared = {
      demand: { cpuMillis: 100, memoryMb: 128, gpus: 0 },
      labels: {},
      constraints: [],
    };
    enqueue(s, job("held", { ...shared, ...blocked }), job("free", { ...shared, ...free }));
    expect(ids(s, 1)).toEqual(["free"]);
  });

  it("dequeue removes a queued job", () => {
    const s = oneSlot();
    enqueue(s, job("a"), job("b"));
    s.handle({ type: "dequeue", jobId: "a" });
    expect(ids(s, 1)).toEqual(["b"]);
    expect(s.queue.size).toBe(0);
  });

  it("a job dequeued and enqueued again before the pass is placed as it is now", () => {
    // Before the fix the fresh-only pass visited the stale first copy: the job was placed with
    // its old demand (128 MB) on a worker that cannot hold its new one (8192 MB).
    const s = oneSlot();
    enqueue(s, job("j"));
    s.handle({ type: "dequeue", jobId: "j" });
    enqueue(s, job("j", { demand: { cpuMillis: 0, memoryMb: 9000, gpus: 0 } }));
    expect(ids(s, 1)).toEqual([]);
    expect(s.workers()[0]!.reserved.jobs).toBe(0);
    expect(s.queue.get("j")?.demand.memoryMb).toBe(9000);
  });

  it("enqueueing a job already queued or placed changes nothing", () => {
    const s = oneSlot();
    enqueue(s, job("a"), job("b"));
    expect(ids(s, 1)).toEqual(["a"]);
    enqueue(s, job("a", { priority: 100 }), job("b", { priority: 100 }));
    expect(s.queue.size).toBe(1);
    expect(s.queue.get("b")?.priority).toBe(0);
    expect(ids(s, 2)).toEqual([]);
  });
});

describe("control: pause, resume, drain", () => {
  afterEach(() => vi.restoreAllMocks());

  it("places nothing while paused, then everything that waited on resume", () => {
    const s = make();
    register(s, "w");
    s.handle({ type: "pause" });
    expect(s.mode).toBe("paused");
    enqueue(s, job("a"), job("b"));
    expect(s.schedule(1)).toEqual([]);
    expect(s.heartbeat("w", null, 2)).toBe("ok");
    s.handle({ type: "resume" });
    expect(s.mode).toBe("running");
    expect(ids(s, 3)).toEqual(["a", "b"]);
  });

  it("keeps a capacity change made while paused for the pass after resume", () => {
    const s = make();
    register(s, "w", cap({ maxJobs: 1 }));
    enqueue(s, job("a"), job("b"));
    expect(ids(s, 0)).toEqual(["a"]);
    s.handle({ type: "pause" });
    s.release("a");
    expect(s.schedule(1)).toEqual([]);
    s.handle({ type: "resume" });
    expect(ids(s, 2)).toEqual(["b"]);
  });

  it("drain is final: nothing is placed again, pause and resume are ignored", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {}); // XState: event to a final actor
    for (const from of ["running", "paused"] as const) {
      const s = make();
      register(s, "w");
      if (from === "paused") s.handle({ type: "pause" });
      s.handle({ type: "drain" });
      expect(s.mode).toBe("draining");
      enqueue(s, job("a"));
      expect(s.schedule(1)).toEqual([]);
      s.handle({ type: "resume" });
      s.handle({ type: "pause" });
      expect(s.mode).toBe("draining");
      expect(s.schedule(2)).toEqual([]);
      expect(s.queue.has("a")).toBe(true);
    }
  });
});
