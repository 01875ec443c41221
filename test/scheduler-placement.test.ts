/**
 * Placement, example by example: the filter (health, draining, labels, constraints, handler,
 * CPU, memory, GPUs, job slots), the two strategies and the per-job override, measured CPU in
 * the score, and the sampled search on large classes with its full-scan fallback.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Constraint } from "../src/domain/constraint.ts";
import type { Labels } from "../src/domain/primitives.ts";
import type { WorkerCapacity } from "../src/domain/worker.ts";
import { Placer, Scheduler, type QueuedJob } from "../src/scheduler/index.ts";
import { requirementKey } from "../src/scheduler/placement.ts";
import { cap, job, make } from "./fixtures/scheduler.ts";

const register = (
  s: Scheduler,
  workerId: string,
  capacity: WorkerCapacity = cap(),
  labels: Labels = {},
  handlers: ReadonlyArray<string> = [],
) => s.handle({ type: "register", workerId, capacity, labels, handlers, at: 0 });

/** Enqueues the jobs and runs one pass: jobId → workerId, for the jobs placed. */
const place = (s: Scheduler, jobs: ReadonlyArray<QueuedJob>, now = 0): Record<string, string> => {
  for (const j of jobs) s.handle({ type: "enqueue", job: j });
  return Object.fromEntries(s.schedule(now).map((p) => [p.jobId, p.workerId]));
};

const reserved = (s: Scheduler, workerId: string) =>
  s.workers().find((w) => w.id === workerId)!.reserved;

describe("filter", () => {
  it("skips lost workers", () => {
    const s = make();
    register(s, "a");
    register(s, "b");
    s.handle({ type: "lost", workerId: "a", at: 0 });
    expect(place(s, [job("j1"), job("j2")])).toEqual({ j1: "b", j2: "b" });
  });

  it("places nothing when every worker is lost", () => {
    const s = make();
    register(s, "a");
    s.lost("a", 0);
    expect(place(s, [job("j1")])).toEqual({});
    expect(s.queue.has("j1")).toBe(true);
  });

  it("skips draining workers but keeps what they hold", () => {
    const s = make({ strategy: "binpack" });
    register(s, "a");
    expect(place(s, [job("j1")])).toEqual({ j1: "a" });
    register(s, "b");
    s.handle({ type: "drain_worker", workerId: "a" });
    expect(place(s, [job("j2"), job("j3")])).toEqual({ j2: "b", j3: "b" });
    expect(reserved(s, "a").jobs).toBe(1);
    s.handle({ type: "drain_worker", workerId: "b" });
    expect(place(s, [job("j4")])).toEqual({});
  });

  it("matches job labels exactly", () => {
    const s = make();
    register(s, "cpu", cap(), { gpu: "false" });
    register(s, "plain", cap(), {});
    register(s, "gpu", cap({ gpus: 1 }), { gpu: "true", zone: "a" });
    expect(place(s, [job("j1", { labels: { gpu: "true" } })])).toEqual({ j1: "gpu" });
    expect(place(s, [job("j2", { labels: { gpu: "true", zone: "b" } })])).toEqual({});
    expect(place(s, [job("j3", { labels: { gpu: "false" } })])).toEqual({ j3: "cpu" });
  });

  // Each worker on its own: which of them may take a job with these constraints.
  const workers: Record<string, Labels> = {
    zoneA: { zone: "a" },
    zoneB: { zone: "b", ssd: "" },
    none: {},
  };
  const cases: ReadonlyArray<[string, Constraint[], string[]]> = [
    ["eq", [{ key: "zone", op: "eq", value: "a" }], ["zoneA"]],
    ["neq (absent label counts)", [{ key: "zone", op: "neq", value: "a" }], ["zoneB", "none"]],
    ["in", [{ key: "zone", op: "in", values: ["a", "b", "c"] }], ["zoneA", "zoneB"]],
    ["in, one value", [{ key: "zone", op: "in", values: ["b"] }], ["zoneB"]],
    ["exists", [{ key: "zone", op: "exists" }], ["zoneA", "zoneB"]],
    ["exists (empty value)", [{ key: "ssd", op: "exists" }], ["zoneB"]],
    ["exists, missing everywhere", [{ key: "rack", op: "exists" }], []],
    [
      "all of several",
      [
        { key: "zone", op: "exists" },
        { key: "zone", op: "neq", value: "a" },
      ],
      ["zoneB"],
    ],
  ];
  it.each(cases)("constraint %s", (_, constraints, expected) => {
    const taken = Object.entries(workers)
      .filter(([id, labels]) => {
        const s = make();
        register(s, id, cap(), labels);
        return place(s, [job("j", { constraints })]).j === id;
      })
      .map(([id]) => id);
    expect(taken).toEqual(expected);
  });

  it("needs the handler when the job names one", () => {
    const s = make();
    register(s, "builder", cap(), {}, ["build", "lint"]);
    register(s, "tester", cap(), {}, ["test"]);
    expect(place(s, [job("j1", { handler: "test" })])).toEqual({ j1: "tester" });
    expect(place(s, [job("j2", { handler: "lint" })])).toEqual({ j2: "builder" });
    expect(place(s, [job("j3", { handler: "deploy" })])).toEqual({});
  });

  it("counts CPU after reservations, a job of exactly the free CPU fits", () => {
    const s = make();
    register(s, "a", cap({ cpuMillis: 1000 }));
    const big = { cpuMillis: 600, memoryMb: 0, gpus: 0 };
    expect(place(s, [job("j1", { demand: big }), job("j2", { demand: big })])).toEqual({
      j1: "a",
    });
    const rest = { cpuMillis: 400, memoryMb: 0, gpus: 0 };
    expect(place(s, [job("j3", { demand: rest })])).toEqual({ j3: "a" });
    expect(reserved(s, "a")).toEqual({ cpuMillis: 1000, memoryMb: 0, gpus: 0, jobs: 2 });
  });

  it("counts memory after reservations", () => {
    const s = make();
    register(s, "a", cap({ memoryMb: 8192 }));
    const d = { cpuMillis: 0, memoryMb: 4096, gpus: 0 };
    expect(
      place(s, [job("j1", { demand: d }), job("j2", { demand: d }), job("j3", { demand: d })]),
    ).toEqual({ j1: "a", j2: "a" });
    expect(s.queue.has("j3")).toBe(true);
  });

  it("counts GPUs after reservations", () => {
    const s = make();
    register(s, "none", cap({ gpus: 0 }));
    register(s, "two", cap({ gpus: 2 }));
    const d = { cpuMillis: 0, memoryMb: 0, gpus: 2 };
    expect(place(s, [job("j1", { demand: d }), job("j2", { demand: d })])).toEqual({ j1: "two" });
    const one = { cpuMillis: 0, memoryMb: 0, gpus: 1 };
    s.release("j1");
    expect(place(s, [job("j3", { demand: one }), job("j4", { demand: one })], 1)).toEqual({
      j2: "two",
    });
  });

  it("counts job slots even for jobs that ask for nothing", () => {
    const s = make();
    register(s, "a", cap({ maxJobs: 2 }));
    const d = { cpuMillis: 0, memoryMb: 0, gpus: 0 };
    const placed = place(
      s,
      [1, 2, 3].map((i) => job(`j${i}`, { demand: d })),
    );
    expect(placed).toEqual({ j1: "a", j2: "a" });
    expect(reserved(s, "a").jobs).toBe(2);
  });
});

describe("strategies", () => {
  /** Three equal workers holding 2, 1 and 0 jobs of 1000m/2048 MB (steered there by label). */
  const loaded = () => {
    const s = make();
    for (const id of ["two", "one", "zero"]) register(s, id, cap(), { name: id });
    const d = { cpuMillis: 1000, memoryMb: 2048, gpus: 0 };
    const on = (name: string) => ({ demand: d, labels: { name } });
    place(s, [job("x1", on("two")), job("x2", on("two")), job("x3", on("one"))]);
    expect(s.workers().map((w) => [w.id, w.reserved.jobs])).toEqual([
      ["two", 2],
      ["one", 1],
      ["zero", 0],
    ]);
    return s;
  };

  it("spread picks the least loaded worker", () => {
    const s = loaded();
    expect(place(s, [job("j", { strategy: "spread" })], 1)).toEqual({ j: "zero" });
  });

  it("binpack fills the fullest worker that fits", () => {
    const s = loaded();
    expect(place(s, [job("j", { strategy: "binpack" })], 1)).toEqual({ j: "two" });
  });

  it("binpack skips a fuller worker that has no room left", () => {
    const s = loaded();
    const d = { cpuMillis: 2500, memoryMb: 0, gpus: 0 };
    expect(place(s, [job("j", { demand: d, strategy: "binpack" })], 1)).toEqual({ j: "one" });
  });

  it("spread spreads equal jobs evenly, binpack piles them on one worker", () => {
    for (const strategy of ["spread", "binpack"] as const) {
      const s = make({ strategy });
      for (const id of ["a", "b", "c", "d"]) register(s, id);
      place(
        s,
        [1, 2, 3, 4, 5, 6, 7, 8].map((i) => job(`j${i}`)),
      );
      const jobs = s.workers().map((w) => w.reserved.jobs);
      expect(jobs.sort()).toEqual(strategy === "spread" ? [2, 2, 2, 2] : [0, 0, 0, 8]);
    }
  });

  it("a job's own strategy overrides the configured one", () => {
    for (const [configured, own, expected] of [
      ["spread", "binpack", "busy"],
      ["binpack", "spread", "idle"],
      ["spread", undefined, "idle"],
      ["binpack", undefined, "busy"],
    ] as const) {
      const s = make({ strategy: configured });
      register(s, "busy");
      place(s, [job("x")]);
      register(s, "idle");
      expect(place(s, [job("j", { strategy: own })], 1)).toEqual({ j: expected });
    }
  });
});

describe("measured CPU in the score", () => {
  const telemetry = (cpuPercent: number) => ({
    cpuPercent,
    memoryUsedMb: 0,
    memoryTotalMb: 8192,
    load1: 0,
    diskFreeMb: 1000,
    runningJobs: 0,
    at: 0,
  });

  const pair = (strategy: "spread" | "binpack", a: number, b: number) => {
    const s = make({ strategy });
    register(s, "a");
    register(s, "b");
    s.heartbeat("a", telemetry(a), 1);
    s.heartbeat("b", telemetry(b), 1);
    return s;
  };

  it("spread: a pegged worker loses to an equal one at 10%, whichever registered first", () => {
    expect(place(pair("spread", 99, 10), [job("j")])).toEqual({ j: "b" });
    expect(place(pair("spread", 10, 99), [job("j")])).toEqual({ j: "a" });
  });

  it("spread: a pegged worker loses even when its reservations say it is emptier", () => {
    const s = make({ strategy: "spread" });
    register(s, "a", cap(), { name: "a" });
    register(s, "b", cap(), { name: "b" });
    const d = { cpuMillis: 2000, memoryMb: 4096, gpus: 0 };
    place(s, [job("x", { demand: d, labels: { name: "b" } })]);
    expect(place(s, [job("probe")], 1)).toEqual({ probe: "a" }); // emptier wins while cool
    s.release("probe");
    s.heartbeat("a", telemetry(99), 1);
    s.heartbeat("b", telemetry(10), 1);
    expect(place(s, [job("j")], 1)).toEqual({ j: "b" });
  });

  it("binpack: a worker over 90% loses to an equal one at 10%", () => {
    expect(place(pair("binpack", 99, 10), [job("j")])).toEqual({ j: "b" });
    expect(place(pair("binpack", 10, 99), [job("j")])).toEqual({ j: "a" });
    expect(place(pair("binpack", 10, 91), [job("j")])).toEqual({ j: "a" });
  });

  it("binpack: a pegged worker loses even when it is the fuller one", () => {
    const s = make({ strategy: "binpack" });
    register(s, "a");
    place(s, [job("x", { demand: { cpuMillis: 2000, memoryMb: 4096, gpus: 0 } })]);
    register(s, "b");
    expect(place(s, [job("probe")], 1)).toEqual({ probe: "a" }); // fuller wins while cool
    s.heartbeat("a", telemetry(99), 2);
    s.heartbeat("b", telemetry(10), 2);
    expect(place(s, [job("j")], 2)).toEqual({ j: "b" });
  });

  it("binpack ignores measured CPU up to 90%", () => {
    const s = make({ strategy: "binpack" });
    register(s, "a");
    place(s, [job("x", { demand: { cpuMillis: 2000, memoryMb: 4096, gpus: 0 } })]);
    register(s, "b");
    s.heartbeat("a", telemetry(90), 1);
    s.heartbeat("b", telemetry(0), 1);
    expect(place(s, [job("j")], 1)).toEqual({ j: "a" });
  });

  it("telemetry never makes a worker without room feasible", () => {
    const s = make({ strategy: "spread" });
    register(s, "a", cap({ maxJobs: 1 }));
    register(s, "b", cap({ maxJobs: 1 }));
    s.heartbeat("a", telemetry(0), 1);
    s.heartbeat("b", telemetry(100), 1);
    expect(place(s, [job("j1"), job("j2"), job("j3")], 1)).toEqual({ j1: "a", j2: "b" });
  });
});

describe("sampled search on large classes", () => {
  type Spied = { sample: (...a: unknown[]) => number; scan: (...a: unknown[]) => number };
  const spies = () => ({
    sample: vi.spyOn(Placer.prototype as unknown as Spied, "sample"),
    scan: vi.spyOn(Placer.prototype as unknown as Spied, "scan"),
  });
  afterEach(() => vi.restoreAllMocks());

  it("ranks samples, not every worker, once a class has more than samples*8 workers", () => {
    const s = make({ samples: 2 });
    for (let i = 0; i < 17; i++) register(s, `w${i}`);
    const { sample, scan } = spies();
    const placed = place(s, [job("j")]);
    expect(Object.keys(placed)).toEqual(["j"]);
    expect(sample).toHaveBeenCalledTimes(1);
    expect(sample.mock.results[0]!.value).toBeGreaterThanOrEqual(0);
    expect(scan).not.toHaveBeenCalled();
  });

  it("scans every worker in a class of exactly samples*8", () => {
    const s = make({ samples: 2 });
    for (let i = 0; i < 16; i++) register(s, `w${i}`);
    const { sample, scan } = spies();
    expect(Object.keys(place(s, [job("j")]))).toEqual(["j"]);
    expect(sample).not.toHaveBeenCalled();
    expect(scan).toHaveBeenCalledTimes(1);
  });

  it("counts the workers of every matching class together", () => {
    const s = make({ samples: 2 });
    for (let i = 0; i < 9; i++) register(s, `a${i}`, cap(), { zone: "a" });
    for (let i = 0; i < 8; i++) register(s, `b${i}`, cap(), { zone: "b" });
    const { sample } = spies();
    place(s, [job("j1", { constraints: [{ key: "zone", op: "exists" }] })]);
    expect(sample).toHaveBeenCalledTimes(1);
    place(s, [job("j2", { labels: { zone: "a" } })], 1); // 9 workers: a scan
    expect(sample).toHaveBeenCalledTimes(1);
  });

  it("falls back to a full scan when sampling finds nothing: 1,000 workers, one with room", () => {
    for (const strategy of ["spread", "binpack"] as const) {
      const s = make({ samples: 16, strategy });
      for (let i = 0; i < 1000; i++) {
        register(s, `w${i}`, cap({ cpuMillis: i === 637 ? 2000 : 400 }));
      }
      const { sample, scan } = spies();
      const d = { cpuMillis: 1000, memoryMb: 0, gpus: 0 };
      expect(place(s, [job("j", { demand: d })])).toEqual({ j: "w637" });
      expect(sample).toHaveBeenCalledTimes(1);
      expect(scan).toHaveBeenCalledTimes(1);
      // And the second such job does not fit anywhere any more (2000m, one 1000m left).
      expect(
        place(s, [job("k", { demand: { cpuMillis: 1001, memoryMb: 0, gpus: 0 } })], 1),
      ).toEqual({});
      vi.restoreAllMocks();
    }
  });

  it("with samples 0 ranks every worker: spread finds the one roomiest worker of 1,000", () => {
    const roomiest = (samples: number) => {
      const s = make({ samples, strategy: "spread" });
      for (let i = 0; i < 1000; i++)
        register(s, `w${i}`, cap({ cpuMillis: i === 500 ? 8000 : 4000 }));
      return place(s, [job("j")]).j;
    };
    expect(roomiest(0)).toBe("w500");
    // Sampling ranks 16 of them: still a feasible worker, not necessarily the best.
    expect(roomiest(16)).toMatch(/^w\d+$/);
  });

  it("never places on an infeasible worker while sampling", () => {
    const s = make({ samples: 1, strategy: "spread" });
    for (let i = 0; i < 40; i++) register(s, `w${i}`, cap({ maxJobs: 1 }));
    for (let i = 0; i < 40; i += 3) s.lost(`w${i}`, 0);
    for (let i = 1; i < 40; i += 3) s.handle({ type: "drain_worker", workerId: `w${i}` });
    const placed = place(
      s,
      Array.from({ length: 40 }, (_, i) => job(`j${i}`)),
    );
    const ids = Object.values(placed);
    expect(ids).toHaveLength(13); // w2, w5, …, w38
    expect(new Set(ids).size).toBe(13);
    for (const id of ids) expect(Number(id.slice(1)) % 3).toBe(2);
  });

  it("keys requirements by value, whether their parts are shared frozen copies or not", () => {
    const labels = Object.freeze({ os: "linux", arch: "x86" });
    const constraints: ReadonlyArray<Constraint> = Object.freeze([
      Object.freeze({ key: "zone", op: "in" as const, values: Object.freeze(["a", "b"]) }),
    ]);
    const keys = (handler: string | undefined) => [
      requirementKey({ labels, constraints, handler }),
      requirementKey({
        labels: { arch: "x86", os: "linux" },
        constraints: [...constraints],
        handler,
      }),
    ];
    const [frozen, plain] = keys("h1");
    expect(frozen).toBe(plain);
    // Asked again (now remembered), and for another handler with the same parts.
    expect(keys("h1")[0]).toBe(frozen);
    const [other, otherPlain] = keys(undefined);
    expect(other).toBe(otherPlain);
    expect(other).not.toBe(frozen);
    expect(requirementKey({ labels: {}, constraints: [], handler: "h1" })).toBe("h:h1");
  });
});
