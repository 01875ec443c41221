/**
 * The worker side of the scheduler, example by example: reservations and their release, lost
 * workers and the re-placement of their jobs, reconnects, heartbeats, drain and removal, and
 * `forget` and `workers()`.
 */
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeJobSpec } from "../src/domain/decode.ts";
import { queuedJobOf } from "../src/supervisor/routing.ts";
import type { Telemetry, WorkerCapacity } from "../src/domain/worker.ts";
import { Scheduler, type QueuedJob } from "../src/scheduler/index.ts";
import { cap as baseCap, job as baseJob, make } from "./fixtures/scheduler.ts";

// Workers with GPUs and jobs that take one: reservations then show in every dimension.
const cap = (over: Partial<WorkerCapacity> = {}): WorkerCapacity => baseCap({ gpus: 2, ...over });
const job = (jobId: string, over: Partial<QueuedJob> = {}): QueuedJob =>
  baseJob(jobId, { demand: { cpuMillis: 500, memoryMb: 1024, gpus: 1 }, ...over });

const register = (s: Scheduler, workerId: string, capacity: WorkerCapacity = cap(), at = 0) =>
  s.handle({ type: "register", workerId, capacity, labels: {}, handlers: [], at });

const enqueue = (s: Scheduler, ...jobs: QueuedJob[]) => {
  for (const j of jobs) s.handle({ type: "enqueue", job: j });
};

const view = (s: Scheduler, id: string) => s.workers().find((w) => w.id === id);

const telemetry = (cpuPercent: number, at: number): Telemetry => ({
  cpuPercent,
  memoryUsedMb: 2048,
  memoryTotalMb: 8192,
  load1: 1.5,
  diskFreeMb: 50_000,
  runningJobs: 2,
  at,
});

describe("reservations", () => {
  it("a placement reserves its demand; release gives it back, once", () => {
    const s = make();
    register(s, "w");
    enqueue(s, job("a"), job("b"));
    expect(s.schedule(0)).toHaveLength(2);
    expect(view(s, "w")!.reserved).toEqual({ cpuMillis: 1000, memoryMb: 2048, gpus: 2, jobs: 2 });
    s.handle({ type: "release", jobId: "a" });
    expect(view(s, "w")!.reserved).toEqual({ cpuMillis: 500, memoryMb: 1024, gpus: 1, jobs: 1 });
    s.release("a");
    s.release("never-heard-of");
    expect(view(s, "w")!.reserved).toEqual({ cpuMillis: 500, memoryMb: 1024, gpus: 1, jobs: 1 });
    s.release("b");
    expect(view(s, "w")!.reserved).toEqual({ cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 });
  });

  it("a released job may be enqueued again and is then marked replaced", () => {
    const s = make();
    register(s, "w");
    enqueue(s, job("a"));
    expect(s.schedule(0)).toMatchObject([{ jobId: "a", replaced: false }]);
    s.release("a");
    enqueue(s, job("a", { enqueuedAt: 10 }));
    expect(s.schedule(15)).toMatchObject([{ jobId: "a", replaced: true, waitedMs: 5 }]);
  });

  it("forget drops a job's history: placed again, it is not a re-placement", () => {
    const s = make();
    register(s, "w");
    enqueue(s, job("a"), job("q", { demand: { cpuMillis: 99_999, memoryMb: 0, gpus: 0 } }));
    s.schedule(0);
    s.forget("a");
    s.forget("q");
    expect(view(s, "w")!.reserved.jobs).toBe(0);
    expect(s.queue.size).toBe(0);
    enqueue(s, job("a"));
    expect(s.schedule(1)).toMatchObject([{ jobId: "a", replaced: false }]);
  });
});

describe("lost workers", () => {
  it("re-queues each of their jobs exactly once and places them again, marked replaced", () => {
    const s = make({ strategy: "binpack" });
    register(s, "a", cap({ gpus: 4 }));
    register(s, "b", cap({ gpus: 4 }));
    enqueue(s, job("j1"), job("j2"), job("j3"));
    const first = s.schedule(0);
    expect(first.map((p) => p.workerId)).toEqual(["a", "a", "a"]);

    const lost = s.lost("a", 100);
    expect([...lost].sort()).toEqual(["j1", "j2", "j3"]);
    expect(s.events).toEqual([{ type: "worker_lost", workerId: "a", jobs: lost, at: 100 }]);
    expect(view(s, "a")).toMatchObject({
      healthy: false,
      reserved: { cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 },
    });
    expect(s.queue.size).toBe(3);
    for (const id of lost) expect(s.queue.get(id)?.enqueuedAt).toBe(100);

    // The job actors enqueue them again too: nothing doubles.
    enqueue(s, job("j1"), job("j2"));
    expect(s.queue.size).toBe(3);
    // Lost again (a late duplicate): nothing more to re-queue.
    expect(s.lost("a", 101)).toEqual([]);

    const again = s.schedule(130);
    expect(again.map((p) => p.jobId)).toEqual(lost);
    for (const p of again) {
      expect(p).toMatchObject({ workerId: "b", replaced: true, waitedMs: 30 });
    }
    expect(s.queue.size).toBe(0);
    expect(view(s, "b")!.reserved.jobs).toBe(3);
  });

  it("re-queues a lost worker's job read from its spec (getters) with every field it had", () => {
    const s = make();
    register(s, "a");
    const spec = Either.getOrThrow(
      decodeJobSpec({
        name: "spec-backed",
        command: { argv: ["true"] },
        resources: { cpuMillis: 250, memoryMb: 128, gpus: 1 },
        priority: 700,
        concurrencyKey: "k",
        queue: "emails",
      }),
    );
    const queued = queuedJobOf("j1", spec, 0);
    enqueue(s, queued);
    expect(s.schedule(0).map((p) => p.jobId)).toEqual(["j1"]);
    s.lost("a", 50);
    const again = s.queue.get("j1")!;
    const { enqueuedAt, ...fields } = again;
    expect(enqueuedAt).toBe(50);
    expect(fields).toEqual({
      jobId: "j1",
      demand: spec.resources,
      labels: spec.labels,
      constraints: spec.constraints,
      handler: undefined,
      priority: 700,
      concurrencyKey: "k",
      strategy: undefined,
      queue: "emails",
      rateLimit: undefined,
    });
  });

  it("the `lost` message does the same; an unknown worker changes nothing", () => {
    const s = make();
    register(s, "a");
    enqueue(s, job("j"));
    s.schedule(0);
    s.handle({ type: "lost", workerId: "a", at: 5 });
    expect(s.queue.has("j")).toBe(true);
    expect(s.lost("ghost", 6)).toEqual([]);
    expect(s.events).toHaveLength(1);
  });

  it("with requeue false, releases them only: their actors enqueue them again", () => {
    const s = make();
    register(s, "a");
    register(s, "b");
    enqueue(s, job("j1"), job("j2"));
    const onA = s
      .schedule(0)
      .filter((p) => p.workerId === "a")
      .map((p) => p.jobId);
    expect(s.lost("a", 10, false)).toEqual(onA);
    expect(s.queue.size).toBe(0);
    expect(view(s, "a")!.reserved.jobs).toBe(0);
    for (const id of onA) enqueue(s, job(id, { enqueuedAt: 12 }));
    expect(s.queue.size).toBe(onA.length);
    expect(s.schedule(20)).toEqual(
      onA.map((jobId) => ({
        jobId,
        workerId: "b",
        at: 20,
        waitedMs: 8,
        priority: 0,
        replaced: true,
      })),
    );
  });

  it("queued jobs stay queued while the only worker is lost", () => {
    const s = make();
    register(s, "a");
    enqueue(s, job("j"));
    s.schedule(0);
    s.lost("a", 1);
    expect(s.schedule(2)).toEqual([]);
    expect(s.queue.has("j")).toBe(true);
  });
});

describe("reconnect", () => {
  it("registering again with the same id keeps the slot and the reservations", () => {
    const s = make();
    register(s, "a");
    enqueue(s, job("j"));
    s.schedule(0);
    const slot = s.state.slot("a");
    register(s, "a", cap(), 50);
    expect(s.state.slot("a")).toBe(slot);
    expect(s.state.size).toBe(1);
    expect(view(s, "a")).toMatchObject({
      healthy: true,
      lastHeartbeatAt: 50,
      reserved: { cpuMillis: 500, memoryMb: 1024, gpus: 1, jobs: 1 },
    });
    s.release("j");
    expect(view(s, "a")!.reserved.jobs).toBe(0);
  });

  it("a lost worker that registers again is healthy and takes jobs again", () => {
    const s = make();
    register(s, "a", cap({ maxJobs: 1 }));
    enqueue(s, job("j"));
    s.schedule(0);
    s.lost("a", 10);
    expect(view(s, "a")!.healthy).toBe(false);
    const slot = s.state.slot("a");
    register(s, "a", cap({ maxJobs: 1 }), 20);
    expect(s.state.slot("a")).toBe(slot);
    expect(view(s, "a")!.healthy).toBe(true);
    expect(s.schedule(21)).toMatchObject([{ jobId: "j", workerId: "a", replaced: true }]);
  });

  it("a draining worker that reconnects stays draining", () => {
    const s = make();
    register(s, "a");
    s.handle({ type: "drain_worker", workerId: "a" });
    register(s, "a", cap(), 30);
    expect(view(s, "a")).toMatchObject({ healthy: true, draining: true });
    enqueue(s, job("j"));
    expect(s.schedule(31)).toEqual([]);
  });

  it("a heartbeat alone does not bring a lost worker back", () => {
    const s = make();
    register(s, "a");
    s.lost("a", 10);
    expect(s.heartbeat("a", telemetry(5, 11), 11)).toBe("lost");
    expect(view(s, "a")!.healthy).toBe(false);
    enqueue(s, job("j"));
    expect(s.schedule(12)).toEqual([]);
  });
});

describe("heartbeats", () => {
  it("record telemetry and the time; an unknown worker is answered false", () => {
    const s = make();
    register(s, "a");
    expect(view(s, "a")!.telemetry).toBeNull();
    expect(s.heartbeat("a", telemetry(37, 100), 100)).toBe("ok");
    expect(view(s, "a")).toMatchObject({
      lastHeartbeatAt: 100,
      telemetry: {
        cpuPercent: 37,
        memoryUsedMb: 2048,
        memoryTotalMb: 8192,
        load1: 1.5,
        diskFreeMb: 50_000,
        runningJobs: 2,
      },
    });
    // No telemetry this time: the time moves, the last telemetry stays.
    expect(s.heartbeat("a", null, 200)).toBe("ok");
    expect(view(s, "a")).toMatchObject({ lastHeartbeatAt: 200, telemetry: { cpuPercent: 37 } });
    expect(s.heartbeat("ghost", telemetry(1, 1), 1)).toBe("unknown");
    s.handle({ type: "heartbeat", workerId: "ghost", telemetry: null, at: 300 });
    expect(s.workers().map((w) => w.id)).toEqual(["a"]);
  });
});

describe("drain and removal", () => {
  it("remove_worker releases its reservations and forgets it; its slot is reused clean", () => {
    const s = make();
    register(s, "a");
    enqueue(s, job("j1"), job("j2"));
    s.schedule(0);
    s.heartbeat("a", telemetry(80, 1), 1);
    s.handle({ type: "remove_worker", workerId: "a" });
    expect(s.workers()).toEqual([]);
    expect(s.state.reservations.size).toBe(0);
    register(s, "b", cap({ gpus: 0 }));
    expect(view(s, "b")).toMatchObject({
      telemetry: null,
      healthy: true,
      draining: false,
      reserved: { cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 },
    });
    // The jobs were released, not re-queued: their actors decide. Enqueued again, they place.
    expect(s.queue.size).toBe(0);
    enqueue(s, job("j1", { demand: { cpuMillis: 500, memoryMb: 1024, gpus: 0 } }));
    expect(s.schedule(2)).toMatchObject([{ jobId: "j1", workerId: "b", replaced: true }]);
    s.handle({ type: "remove_worker", workerId: "ghost" });
  });

  it("drain_worker keeps what the worker runs and gives it nothing new", () => {
    const s = make();
    register(s, "a");
    enqueue(s, job("j1"));
    s.schedule(0);
    s.handle({ type: "drain_worker", workerId: "a" });
    s.handle({ type: "drain_worker", workerId: "ghost" });
    expect(view(s, "a")).toMatchObject({ draining: true, healthy: true, reserved: { jobs: 1 } });
    enqueue(s, job("j2"));
    expect(s.schedule(1)).toEqual([]);
    s.release("j1");
    expect(s.schedule(2)).toEqual([]);
  });
});

describe("workers()", () => {
  it("returns copies: changing a view changes nothing", () => {
    const s = make();
    s.handle({
      type: "register",
      workerId: "a",
      capacity: cap(),
      labels: { zone: "a" },
      handlers: ["build", "build", "test"],
      at: 0,
    });
    const v = s.workers()[0]!;
    expect(v).toMatchObject({ labels: { zone: "a" }, handlers: ["build", "test"] });
    (v.labels as Record<string, string>)["zone"] = "b";
    (v.handlers as string[]).push("deploy");
    expect(s.workers()[0]).toMatchObject({ labels: { zone: "a" }, handlers: ["build", "test"] });
    enqueue(s, job("j", { labels: { zone: "b" } }));
    expect(s.schedule(0)).toEqual([]);
  });
});
