/**
 * `explain`: why a queued job is not placed, in an operator's words, with the number of
 * matching workers each filter rejected, and `never` when no registered worker could ever
 * take it (a missing label or handler, or a demand bigger than any matching worker, even empty).
 */
import { describe, expect, it } from "vitest";
import type { Labels } from "../src/domain/primitives.ts";
import type { WorkerCapacity } from "../src/domain/worker.ts";
import { Scheduler, type QueuedJob } from "../src/scheduler/index.ts";

const cap = (over: Partial<WorkerCapacity> = {}): WorkerCapacity => ({
  cpuMillis: 8000,
  memoryMb: 16384,
  gpus: 1,
  maxJobs: 8,
  ...over,
});

const job = (jobId: string, over: Partial<QueuedJob> = {}): QueuedJob => ({
  jobId,
  demand: { cpuMillis: 0, memoryMb: 8192, gpus: 0 },
  labels: { gpu: "true" },
  constraints: [],
  handler: undefined,
  priority: 0,
  concurrencyKey: undefined,
  strategy: undefined,
  queue: "default",
  rateLimit: undefined,
  enqueuedAt: 0,
  ...over,
});

const register = (
  s: Scheduler,
  workerId: string,
  labels: Labels,
  capacity: WorkerCapacity = cap(),
  handlers: ReadonlyArray<string> = [],
) => s.handle({ type: "register", workerId, capacity, labels, handlers, at: 0 });

const none = { unhealthy: 0, draining: 0, slots: 0, cpu: 0, memory: 0, gpus: 0 };

/** Steers a filler job onto one worker by its `name` label. */
const fill = (s: Scheduler, workerId: string, demand: QueuedJob["demand"]) => {
  s.handle({
    type: "enqueue",
    job: job(`fill-${workerId}`, { demand, labels: { name: workerId } }),
  });
  expect(s.schedule(0)).toMatchObject([{ workerId }]);
};

describe("explain", () => {
  it("names the labels and the missing resources, with counts per reason", () => {
    const s = new Scheduler();
    const gpu = (id: string) => register(s, id, { gpu: "true", name: id });
    for (const id of ["l1", "l2", "d1", "m1", "m2", "m3"]) gpu(id);
    register(s, "cpu-only", { gpu: "false", name: "cpu-only" }); // not counted: no match
    for (const id of ["m1", "m2", "m3"]) fill(s, id, { cpuMillis: 0, memoryMb: 12_288, gpus: 0 });
    s.lost("l1", 1);
    s.lost("l2", 1);
    s.handle({ type: "drain_worker", workerId: "d1" });
    s.handle({ type: "enqueue", job: job("j") });
    expect(s.schedule(2)).toEqual([]);
    expect(s.explain("j")).toEqual({
      reason:
        "no healthy worker with label gpu=true and 8192 MB free " +
        "(2 lost, 1 draining, 3 without 8192 MB free)",
      never: false,
      rejected: { ...none, unhealthy: 2, draining: 1, memory: 3 },
    });
  });

  it("counts full job slots, CPU and GPUs, in the order the filter checks them", () => {
    const s = new Scheduler();
    register(s, "slots", { gpu: "true", name: "slots" }, cap({ maxJobs: 1 }));
    register(s, "cpu", { gpu: "true", name: "cpu" });
    register(s, "gpus", { gpu: "true", name: "gpus" }, cap({ gpus: 2 }));
    fill(s, "slots", { cpuMillis: 0, memoryMb: 0, gpus: 0 });
    fill(s, "cpu", { cpuMillis: 7800, memoryMb: 0, gpus: 0 });
    fill(s, "gpus", { cpuMillis: 0, memoryMb: 0, gpus: 1 });
    const demand = { cpuMillis: 500, memoryMb: 1024, gpus: 2 };
    s.handle({ type: "enqueue", job: job("j", { demand }) });
    expect(s.schedule(1)).toEqual([]);
    const e = s.explain("j")!;
    expect(e.reason).toBe(
      "no healthy worker with label gpu=true and 500m CPU free, 1024 MB free, 2 GPUs free " +
        "(1 with no free job slot, 1 without 500m CPU free, 1 without 2 GPUs free)",
    );
    expect(e.never).toBe(false);
    expect(e.rejected).toEqual({ ...none, slots: 1, cpu: 1, gpus: 1 });
  });

  it("names constraints and the handler", () => {
    const s = new Scheduler();
    register(s, "w", { gpu: "true", zone: "eu", arch: "arm64", ssd: "y" }, cap(), ["build"]);
    s.lost("w", 0);
    s.handle({
      type: "enqueue",
      job: job("j", {
        demand: { cpuMillis: 0, memoryMb: 0, gpus: 0 },
        constraints: [
          { key: "zone", op: "neq", value: "us" },
          { key: "arch", op: "in", values: ["amd64", "arm64"] },
          { key: "ssd", op: "exists" },
        ],
        handler: "build",
      }),
    });
    expect(s.explain("j")).toMatchObject({
      reason:
        "no healthy worker with label gpu=true, label zone!=us, label arch in (amd64, arm64), " +
        "label ssd exists, handler build (1 lost)",
      never: false,
    });
  });

  it("never: no registered worker has the label", () => {
    const s = new Scheduler();
    register(s, "w", { gpu: "false" });
    s.handle({ type: "enqueue", job: job("j") });
    expect(s.explain("j")).toEqual({
      reason: "no registered worker with label gpu=true",
      never: true,
      rejected: none,
    });
  });

  it("never: no registered worker serves the handler", () => {
    const s = new Scheduler();
    register(s, "w", {}, cap(), ["test"]);
    s.handle({ type: "enqueue", job: job("j", { labels: {}, handler: "build" }) });
    expect(s.explain("j")).toMatchObject({
      reason: "no registered worker with handler build",
      never: true,
    });
  });

  it("never: no matching worker is big enough even when empty", () => {
    const s = new Scheduler();
    register(s, "small", { gpu: "true" }, cap({ memoryMb: 4096 }));
    register(s, "big-but-no-gpu", { gpu: "false" }, cap({ memoryMb: 65_536 }));
    s.handle({ type: "enqueue", job: job("j") });
    expect(s.explain("j")).toMatchObject({
      reason: "no registered worker with label gpu=true has capacity for 8192 MB, even when empty",
      never: true,
      rejected: { ...none, memory: 1 },
    });
  });

  it("not never while a big enough matching worker is only lost or draining", () => {
    const s = new Scheduler();
    register(s, "small", { gpu: "true" }, cap({ memoryMb: 4096 }));
    register(s, "big", { gpu: "true" });
    s.lost("big", 0);
    s.handle({ type: "enqueue", job: job("j") });
    expect(s.explain("j")).toMatchObject({ never: false, rejected: { unhealthy: 1, memory: 1 } });
    register(s, "big", { gpu: "true" });
    s.handle({ type: "drain_worker", workerId: "big" });
    expect(s.explain("j")).toMatchObject({ never: false, rejected: { draining: 1, memory: 1 } });
  });

  it("never: with no worker registered at all", () => {
    const s = new Scheduler();
    s.handle({ type: "enqueue", job: job("j", { labels: {} }) });
    expect(s.explain("j")).toMatchObject({ reason: "no registered worker", never: true });
  });

  it("is undefined for a job that is not queued", () => {
    const s = new Scheduler();
    register(s, "w", { gpu: "true" });
    s.handle({ type: "enqueue", job: job("j") });
    expect(s.schedule(0)).toHaveLength(1);
    expect(s.explain("j")).toBeUndefined();
    expect(s.explain("nobody")).toBeUndefined();
  });
});

describe("explain: concurrency keys", () => {
  it("says a job waits for its concurrency key, not for capacity", () => {
    const s = new Scheduler();
    s.handle({
      type: "register",
      workerId: "w1",
      capacity: { cpuMillis: 4_000, memoryMb: 4_096, gpus: 0, maxJobs: 4 },
      labels: {},
      handlers: [],
      at: 0,
    });
    const job = (id: string) => ({
      jobId: id,
      demand: { cpuMillis: 100, memoryMb: 64, gpus: 0 },
      labels: {},
      constraints: [],
      handler: undefined,
      priority: 500,
      concurrencyKey: "deploy",
      strategy: undefined,
      queue: "default",
      rateLimit: undefined,
      enqueuedAt: 0,
    });
    s.handle({ type: "enqueue", job: job("a") });
    s.handle({ type: "enqueue", job: job("b") });
    expect(s.schedule(0).map((p) => p.jobId)).toEqual(["a"]);
    expect(s.explain("b")).toMatchObject({
      never: false,
      reason: "concurrency key deploy is at its limit (1 of 1 running)",
    });
  });
});
