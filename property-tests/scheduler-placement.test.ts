/**
 * Property: the scheduler against a small reference model, on random clusters and random
 * operation sequences.
 *
 * fast-check draws a cluster (1–40 workers with random capacities, labels and handlers, some
 * draining or lost), a config (strategy, `samples` 0/1/2/16 so that both the full scan and the
 * sampled search run, aging on or off, per-key concurrency limits) and a sequence of operations:
 * enqueue (new jobs and re-enqueues of known ids, with random demand, labels, constraints,
 * handler, priority, concurrency key and strategy), placement passes at increasing times,
 * releases, dequeues, forgets, lost workers, reconnects, drains, removals, new registrations,
 * heartbeats with random telemetry (and of unknown workers) and pause/resume/drain control.
 *
 * The model keeps its own record of the queue (with its own FIFO sequence numbers) and of every
 * placement the scheduler returned, and checks after every step:
 *
 * - what each worker has reserved, recomputed from the observed placements, equals the
 *   scheduler's view and never exceeds the worker's capacity (CPU, memory, GPUs, job slots);
 * - no placement goes to an unhealthy, draining, removed or non-matching worker (labels,
 *   constraints, handler), nor to one without room, nor past a concurrency-key limit;
 * - after a pass, no queued job fits any healthy, non-draining, matching worker's free capacity
 *   unless its concurrency key holds it back: when the queue drains, everything that fits is placed;
 * - within a pass, placements come out by non-increasing effective priority (priority plus the
 *   aging bonus), first-in first-out among equals;
 * - a lost worker's jobs are exactly the ones placed on it, and each is queued again exactly once
 *   (never twice, never both queued and placed) and marked `replaced` on its next placement
 *   (or, with `lost(id, at, false)` as the supervisor calls it, released and not queued, until
 *   its actor enqueues it again);
 * - the queue holds exactly the jobs the model holds; nothing is placed unless running.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it, vi, type MockInstance } from "vitest";
import type { Constraint } from "../src/domain/constraint.ts";
import type { Labels } from "../src/domain/primitives.ts";
import type { Telemetry, WorkerCapacity } from "../src/domain/worker.ts";
import {
  Scheduler,
  type Demand,
  type QueuedJob,
  type SchedulerConfig,
  type Strategy,
} from "../src/scheduler/index.ts";

// ---------------------------------------------------------------------------------------------
// Reference checks, written independently of src/scheduler.

const labelHolds = (labels: Labels, c: Constraint): boolean => {
  const value = Object.prototype.hasOwnProperty.call(labels, c.key) ? labels[c.key] : undefined;
  if (c.op === "eq") return value === c.value;
  if (c.op === "neq") return value !== c.value;
  if (c.op === "in") return value !== undefined && c.values.includes(value);
  return value !== undefined;
};

interface MWorker {
  readonly id: string;
  readonly capacity: WorkerCapacity;
  labels: Labels;
  handlers: string[];
  healthy: boolean;
  draining: boolean;
}

const matches = (job: QueuedJob, w: MWorker): boolean => {
  if (job.handler !== undefined && !w.handlers.includes(job.handler)) return false;
  for (const [key, value] of Object.entries(job.labels)) {
    if (w.labels[key] !== value || !Object.prototype.hasOwnProperty.call(w.labels, key))
      return false;
  }
  return job.constraints.every((c) => labelHolds(w.labels, c));
};

interface Used extends Demand {
  readonly jobs: number;
}

const none: Used = { cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 };
const add = (u: Used, d: Demand): Used => ({
  cpuMillis: u.cpuMillis + d.cpuMillis,
  memoryMb: u.memoryMb + d.memoryMb,
  gpus: u.gpus + d.gpus,
  jobs: u.jobs + 1,
});

class Model {
  readonly workers = new Map<string, MWorker>();
  readonly queued = new Map<string, { job: QueuedJob; seq: number }>();
  readonly placed = new Map<string, { job: QueuedJob; workerId: string }>();
  readonly everPlaced = new Set<string>();
  mode: "running" | "paused" | "draining" = "running";
  seq = 0;

  constructor(readonly config: SchedulerConfig) {}

  /** What each worker holds, summed from the placements the scheduler returned. */
  usage(): Map<string, Used> {
    const out = new Map<string, Used>();
    for (const p of this.placed.values()) {
      const u = out.get(p.workerId) ?? { cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 };
      out.set(p.workerId, add(u, p.job.demand));
    }
    return out;
  }

  /** Whether `job` fits `w` now: healthy, not draining, matching, room left after `used`. */
  fits(job: QueuedJob, w: MWorker, used: Used | undefined): boolean {
    if (!w.healthy || w.draining || !matches(job, w)) return false;
    const u = used ?? none;
    const d = job.demand;
    return (
      u.jobs < w.capacity.maxJobs &&
      u.cpuMillis + d.cpuMillis <= w.capacity.cpuMillis &&
      u.memoryMb + d.memoryMb <= w.capacity.memoryMb &&
      u.gpus + d.gpus <= w.capacity.gpus
    );
  }

  keys(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.placed.values()) {
      const k = p.job.concurrencyKey;
      if (k !== undefined) out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  }

  limit(key: string): number {
    return this.config.concurrencyLimits[key] ?? this.config.defaultConcurrencyLimit;
  }

  heldByKey(job: QueuedJob, keys: Map<string, number>): boolean {
    const key = job.concurrencyKey;
    return key !== undefined && (keys.get(key) ?? 0) >= this.limit(key);
  }

  effective(job: QueuedJob, now: number): number {
    const { agingMs, agingStep } = this.config;
    if (agingMs <= 0) return job.priority;
    return job.priority + Math.floor(Math.max(0, now - job.enqueuedAt) / agingMs) * agingStep;
  }

  enqueue(job: QueuedJob): void {
    if (this.queued.has(job.jobId) || this.placed.has(job.jobId)) return;
    this.queued.set(job.jobId, { job, seq: this.seq++ });
  }
}

const fail = (message: string): never => {
  throw new Error(message);
};
const check = (ok: boolean, message: () => string): void => {
  if (!ok) fail(message());
};

// ---------------------------------------------------------------------------------------------
// Generators.

const workerLabels = fc.record(
  {
    gpu: fc.constantFrom("true", "false"),
    zone: fc.constantFrom("a", "b", "c"),
    arch: fc.constantFrom("amd64", "arm64"),
    ssd: fc.constant("yes"),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Labels>;

const handlers = fc.subarray(["build", "test", "deploy"]);

const capacity: fc.Arbitrary<WorkerCapacity> = fc.record({
  cpuMillis: fc.constantFrom(0, 1000, 2000, 2000, 4000, 8000),
  memoryMb: fc.constantFrom(0, 1024, 2048, 4096, 8192, 16384),
  gpus: fc.constantFrom(0, 0, 1, 2, 4),
  maxJobs: fc.integer({ min: 1, max: 6 }),
});

interface WorkerSpec {
  readonly capacity: WorkerCapacity;
  readonly labels: Labels;
  readonly handlers: string[];
  readonly start: "ok" | "draining" | "lost";
}

const workerSpec: fc.Arbitrary<WorkerSpec> = fc.record({
  capacity,
  labels: workerLabels,
  handlers,
  start: fc.constantFrom<WorkerSpec["start"]>("ok", "ok", "ok", "ok", "draining", "lost"),
});

const constraint: fc.Arbitrary<Constraint> = fc.oneof(
  fc.record({
    key: fc.constantFrom("gpu", "zone", "arch"),
    op: fc.constant("eq" as const),
    value: fc.constantFrom("true", "false", "a", "b", "amd64"),
  }),
  fc.record({
    key: fc.constantFrom("gpu", "zone", "arch"),
    op: fc.constant("neq" as const),
    value: fc.constantFrom("true", "a", "arm64"),
  }),
  fc.record({
    key: fc.constantFrom("zone", "arch"),
    op: fc.constant("in" as const),
    values: fc.subarray(["a", "b", "c", "amd64", "arm64"], { minLength: 1 }),
  }),
  fc.record({ key: fc.constantFrom("ssd", "gpu", "rack"), op: fc.constant("exists" as const) }),
);

type JobSpec = Omit<QueuedJob, "jobId" | "enqueuedAt" | "queue" | "rateLimit">;

const jobSpec: fc.Arbitrary<JobSpec> = fc.record({
  demand: fc.record({
    cpuMillis: fc.constantFrom(0, 250, 500, 1000, 2000, 4000),
    memoryMb: fc.constantFrom(0, 256, 512, 1024, 4096, 8192),
    gpus: fc.constantFrom(0, 0, 0, 0, 1, 2),
  }),
  labels: fc.oneof(
    { arbitrary: fc.constant({} as Labels), weight: 4 },
    {
      arbitrary: fc.record(
        { gpu: fc.constantFrom("true", "false"), zone: fc.constantFrom("a", "b", "c") },
        { requiredKeys: [] },
      ) as fc.Arbitrary<Labels>,
      weight: 1,
    },
  ),
  constraints: fc.oneof(
    { arbitrary: fc.constant([] as Constraint[]), weight: 4 },
    { arbitrary: fc.array(constraint, { minLength: 1, maxLength: 2 }), weight: 1 },
  ),
  handler: fc.constantFrom(undefined, undefined, undefined, "build", "test", "nobody"),
  priority: fc.constantFrom(0, 0, 10, 50, 100),
  concurrencyKey: fc.constantFrom(undefined, undefined, undefined, "k1", "k2", "k3"),
  strategy: fc.constantFrom<Strategy | undefined>(undefined, undefined, "binpack", "spread"),
});

const telemetry: fc.Arbitrary<Omit<Telemetry, "at"> | null> = fc.option(
  fc.record({
    cpuPercent: fc.integer({ min: 0, max: 100 }),
    memoryUsedMb: fc.integer({ min: 0, max: 16384 }),
    memoryTotalMb: fc.integer({ min: 0, max: 16384 }),
    load1: fc.integer({ min: 0, max: 64 }),
    diskFreeMb: fc.integer({ min: 0, max: 100_000 }),
    runningJobs: fc.integer({ min: 0, max: 8 }),
  }),
  { nil: null, freq: 5 },
);

type Cmd =
  | { readonly t: "enqueue"; readonly job: JobSpec }
  | { readonly t: "reenqueue"; readonly pick: number; readonly job: JobSpec }
  | { readonly t: "schedule"; readonly dt: number }
  | { readonly t: "release" | "dequeue" | "forget"; readonly pick: number }
  | { readonly t: "drain_worker" | "remove"; readonly w: number }
  | { readonly t: "lost"; readonly w: number; readonly how: "message" | "requeue" | "release" }
  | { readonly t: "reconnect"; readonly w: number; readonly relabel: Labels | null }
  | { readonly t: "register"; readonly spec: WorkerSpec }
  | {
      readonly t: "heartbeat";
      readonly w: number;
      readonly ghost: boolean;
      readonly telemetry: Omit<Telemetry, "at"> | null;
    }
  | { readonly t: "control"; readonly op: "pause" | "resume" | "drain" };

const pick = fc.nat({ max: 1_000 });

/** `control` mixes in pause/resume/drain; `losses` makes lost workers and reconnects common. */
const cmd = ({ control, losses }: { control: boolean; losses: boolean }): fc.Arbitrary<Cmd> =>
  fc.oneof(
    { arbitrary: fc.record({ t: fc.constant("enqueue" as const), job: jobSpec }), weight: 12 },
    {
      arbitrary: fc.record({ t: fc.constant("reenqueue" as const), pick, job: jobSpec }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("schedule" as const),
        dt: fc.integer({ min: 0, max: 400 }),
      }),
      weight: 10,
    },
    { arbitrary: fc.record({ t: fc.constant("release" as const), pick }), weight: 5 },
    { arbitrary: fc.record({ t: fc.constant("dequeue" as const), pick }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant("forget" as const), pick }), weight: 1 },
    {
      arbitrary: fc.record({
        t: fc.constant("lost" as const),
        w: pick,
        how: fc.constantFrom("message" as const, "requeue" as const, "release" as const),
      }),
      weight: losses ? 8 : 3,
    },
    { arbitrary: fc.record({ t: fc.constant("drain_worker" as const), w: pick }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant("remove" as const), w: pick }), weight: 1 },
    {
      arbitrary: fc.record({
        t: fc.constant("reconnect" as const),
        w: pick,
        relabel: fc.option(workerLabels, { nil: null, freq: 2 }),
      }),
      weight: losses ? 6 : 2,
    },
    { arbitrary: fc.record({ t: fc.constant("register" as const), spec: workerSpec }), weight: 1 },
    {
      arbitrary: fc.record({
        t: fc.constant("heartbeat" as const),
        w: pick,
        ghost: fc.boolean(),
        telemetry,
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("control" as const),
        op: fc.constantFrom<"pause" | "resume" | "drain">("pause", "resume", "resume", "drain"),
      }),
      weight: control ? 1 : 0,
    },
  );

const config: fc.Arbitrary<SchedulerConfig> = fc.record({
  strategy: fc.constantFrom<Strategy>("spread", "binpack"),
  samples: fc.constantFrom(0, 16, 1, 2),
  agingMs: fc.constantFrom(0, 100, 1000, 1e12),
  agingStep: fc.constantFrom(5, 50),
  concurrencyLimits: fc.record(
    { k1: fc.integer({ min: 1, max: 3 }), k2: fc.integer({ min: 1, max: 3 }) },
    { requiredKeys: [] },
  ) as fc.Arbitrary<Readonly<Record<string, number>>>,
  defaultConcurrencyLimit: fc.integer({ min: 1, max: 2 }),
});

// ---------------------------------------------------------------------------------------------
// The run.

const at = <T>(xs: ReadonlyArray<T>, i: number): T | undefined =>
  xs.length === 0 ? undefined : xs[i % xs.length];

const run = (
  cfg: SchedulerConfig,
  cluster: ReadonlyArray<WorkerSpec>,
  cmds: ReadonlyArray<Cmd>,
) => {
  const s = new Scheduler(cfg);
  const m = new Model(cfg);
  const specs = new Map<string, Omit<WorkerSpec, "start">>();
  const workerIds: string[] = [];
  const jobIds: string[] = [];
  let now = 0;

  const register = (id: string, spec: Omit<WorkerSpec, "start">) => {
    s.handle({
      type: "register",
      workerId: id,
      capacity: spec.capacity,
      labels: spec.labels,
      handlers: spec.handlers,
      at: now,
    });
    const w = m.workers.get(id);
    if (w === undefined) {
      m.workers.set(id, {
        id,
        capacity: spec.capacity,
        labels: spec.labels,
        handlers: [...spec.handlers],
        healthy: true,
        draining: false,
      });
    } else {
      // A reconnect keeps the worker draining if it was told to drain.
      w.labels = spec.labels;
      w.handlers = [...spec.handlers];
      w.healthy = true;
    }
    if (!specs.has(id)) workerIds.push(id);
    specs.set(id, spec);
  };

  /**
   * `message`: the `lost` message (re-queues); `requeue`/`release`: `lost()` with and without
   * re-queueing (the supervisor releases only, and lets each job's actor enqueue it again).
   */
  const lose = (id: string, how: "message" | "requeue" | "release") => {
    const w = m.workers.get(id);
    const expected = [...m.placed].filter(([, p]) => p.workerId === id).map(([j]) => j);
    const eventsBefore = s.events.length;
    let jobs: ReadonlyArray<string>;
    if (how === "message") {
      s.handle({ type: "lost", workerId: id, at: now });
      jobs = s.events.length > eventsBefore ? s.events[s.events.length - 1]!.jobs : [];
    } else {
      jobs = s.lost(id, now, how === "requeue");
    }
    if (w === undefined) {
      check(jobs.length === 0, () => `lost of unknown ${id} returned ${jobs}`);
      return;
    }
    w.healthy = false;
    check(
      new Set(jobs).size === jobs.length &&
        jobs.length === expected.length &&
        expected.every((j) => jobs.includes(j)),
      () => `lost ${id} returned [${jobs}], the placements on it were [${expected}]`,
    );
    const event = s.events[s.events.length - 1];
    check(
      s.events.length === eventsBefore + 1 &&
        event?.type === "worker_lost" &&
        event.workerId === id &&
        event.jobs.length === jobs.length,
      () => `no worker_lost event for ${id}`,
    );
    for (const j of jobs) {
      const p = m.placed.get(j)!;
      m.placed.delete(j);
      if (how !== "release") m.enqueue({ ...p.job, enqueuedAt: now });
    }
  };

  const schedule = () => {
    const placements = s.schedule(now);
    if (m.mode !== "running") {
      check(placements.length === 0, () => `placed ${placements.length} jobs while ${m.mode}`);
      return;
    }
    const usage = m.usage();
    const keys = m.keys();
    let prev: { eff: number; seq: number; id: string } | undefined;
    for (const p of placements) {
      const q = m.queued.get(p.jobId);
      check(q !== undefined, () => `placed ${p.jobId}, which is not queued`);
      const { job, seq } = q!;
      const w = m.workers.get(p.workerId);
      check(w !== undefined, () => `placed ${p.jobId} on unknown worker ${p.workerId}`);
      check(w!.healthy, () => `placed ${p.jobId} on lost worker ${p.workerId}`);
      check(!w!.draining, () => `placed ${p.jobId} on draining worker ${p.workerId}`);
      check(matches(job, w!), () => `placed ${p.jobId} on non-matching worker ${p.workerId}`);
      check(
        m.fits(job, w!, usage.get(p.workerId)),
        () => `placed ${p.jobId} on ${p.workerId}, which has no room`,
      );
      check(!m.heldByKey(job, keys), () => `placed ${p.jobId} past its key ${job.concurrencyKey}`);
      check(
        p.at === now &&
          p.waitedMs === now - job.enqueuedAt &&
          p.priority === job.priority &&
          p.replaced === m.everPlaced.has(p.jobId),
        () => `placement fields of ${p.jobId}: ${JSON.stringify(p)}`,
      );
      const eff = m.effective(job, now);
      if (prev !== undefined) {
        check(
          eff < prev.eff || (eff === prev.eff && seq > prev.seq),
          () =>
            `order: ${p.jobId} (effective ${eff}, seq ${seq}) came after ${prev!.id} ` +
            `(effective ${prev!.eff}, seq ${prev!.seq})`,
        );
      }
      prev = { eff, seq, id: p.jobId };
      m.queued.delete(p.jobId);
      m.placed.set(p.jobId, { job, workerId: p.workerId });
      m.everPlaced.add(p.jobId);
      usage.set(p.workerId, add(usage.get(p.workerId) ?? none, job.demand));
      if (job.concurrencyKey !== undefined) {
        keys.set(job.concurrencyKey, (keys.get(job.concurrencyKey) ?? 0) + 1);
      }
    }
    for (const { job } of m.queued.values()) {
      if (m.heldByKey(job, keys)) continue;
      for (const w of m.workers.values()) {
        check(
          !m.fits(job, w, usage.get(w.id)),
          () => `after the pass ${job.jobId} still queued though it fits ${w.id}`,
        );
      }
    }
  };

  const invariants = () => {
    check(s.mode === m.mode, () => `mode ${s.mode}, expected ${m.mode}`);
    const views = s.workers();
    const usage = m.usage();
    check(views.length === m.workers.size, () => `${views.length} worker views`);
    for (const v of views) {
      const w = m.workers.get(v.id);
      check(w !== undefined, () => `view of unknown worker ${v.id}`);
      check(
        v.healthy === w!.healthy && v.draining === w!.draining,
        () => `${v.id} healthy/draining ${v.healthy}/${v.draining}`,
      );
      const cap = w!.capacity;
      const u = usage.get(v.id) ?? none;
      check(
        u.cpuMillis <= cap.cpuMillis &&
          u.memoryMb <= cap.memoryMb &&
          u.gpus <= cap.gpus &&
          u.jobs <= cap.maxJobs,
        () => `${v.id} over capacity: ${JSON.stringify(u)} of ${JSON.stringify(cap)}`,
      );
      check(
        v.reserved.cpuMillis === u.cpuMillis &&
          v.reserved.memoryMb === u.memoryMb &&
          v.reserved.gpus === u.gpus &&
          v.reserved.jobs === u.jobs,
        () => `${v.id} reserved ${JSON.stringify(v.reserved)}, placements say ${JSON.stringify(u)}`,
      );
    }
    for (const p of m.placed.values()) {
      check(m.workers.has(p.workerId), () => `${p.job.jobId} placed on a removed worker`);
    }
    check(
      s.queue.size === m.queued.size,
      () => `queue holds ${s.queue.size} jobs, expected ${m.queued.size}`,
    );
    for (const id of m.queued.keys()) check(s.queue.has(id), () => `${id} missing from queue`);
    for (const id of m.placed.keys()) check(!s.queue.has(id), () => `${id} queued and placed`);
    for (const [key, n] of m.keys()) check(n <= m.limit(key), () => `key ${key} over its limit`);
  };

  cluster.forEach((spec, i) => {
    const id = `w${i}`;
    register(id, spec);
    if (spec.start === "draining") {
      s.handle({ type: "drain_worker", workerId: id });
      m.workers.get(id)!.draining = true;
    } else if (spec.start === "lost") {
      s.handle({ type: "lost", workerId: id, at: now });
      m.workers.get(id)!.healthy = false;
    }
  });
  invariants();

  for (const c of cmds) {
    switch (c.t) {
      case "enqueue":
      case "reenqueue": {
        const id = c.t === "reenqueue" ? (at(jobIds, c.pick) ?? `j${jobIds.length}`) : undefined;
        const jobId = id ?? `j${jobIds.length}`;
        if (!jobIds.includes(jobId)) jobIds.push(jobId);
        const job: QueuedJob = {
          ...c.job,
          jobId,
          enqueuedAt: now,
          queue: "default",
          rateLimit: undefined,
        };
        s.handle({ type: "enqueue", job });
        m.enqueue(job);
        break;
      }
      case "schedule":
        now += c.dt;
        schedule();
        break;
      case "release": {
        const id = at([...m.placed.keys()], c.pick) ?? at(jobIds, c.pick) ?? "nobody";
        s.handle({ type: "release", jobId: id });
        m.placed.delete(id);
        break;
      }
      case "dequeue": {
        const id = at(jobIds, c.pick) ?? "nobody";
        s.handle({ type: "dequeue", jobId: id });
        m.queued.delete(id);
        break;
      }
      case "forget": {
        const id = at(jobIds, c.pick) ?? "nobody";
        s.forget(id);
        m.queued.delete(id);
        m.placed.delete(id);
        m.everPlaced.delete(id);
        break;
      }
      case "lost":
        lose(at(workerIds, c.w) ?? "nobody", c.how);
        break;
      case "drain_worker": {
        const id = at(workerIds, c.w) ?? "nobody";
        s.handle({ type: "drain_worker", workerId: id });
        const w = m.workers.get(id);
        if (w !== undefined) w.draining = true;
        break;
      }
      case "remove": {
        const id = at(workerIds, c.w) ?? "nobody";
        s.handle({ type: "remove_worker", workerId: id });
        m.workers.delete(id);
        for (const [j, p] of [...m.placed]) if (p.workerId === id) m.placed.delete(j);
        break;
      }
      case "reconnect": {
        const id = at(workerIds, c.w);
        if (id === undefined) break;
        const spec = specs.get(id)!;
        register(id, { ...spec, labels: c.relabel ?? spec.labels });
        break;
      }
      case "register":
        register(`w${workerIds.length}`, c.spec);
        if (c.spec.start === "draining") {
          s.handle({ type: "drain_worker", workerId: `w${workerIds.length - 1}` });
          m.workers.get(`w${workerIds.length - 1}`)!.draining = true;
        }
        break;
      case "heartbeat": {
        const id = c.ghost ? "ghost" : (at(workerIds, c.w) ?? "ghost");
        const t = c.telemetry === null ? null : { ...c.telemetry, at: now };
        const taken = s.heartbeat(id, t, now);
        const w = m.workers.get(id);
        // A lost worker's heartbeat is not taken: it must register again to rejoin.
        const expected = w === undefined ? "unknown" : w.healthy ? "ok" : "lost";
        check(taken === expected, () => `heartbeat of ${id} answered ${taken}, not ${expected}`);
        if (taken === "ok" && c.telemetry !== null) {
          const v = s.workers().find((x) => x.id === id)!;
          check(
            v.telemetry?.cpuPercent === c.telemetry.cpuPercent &&
              v.telemetry.runningJobs === c.telemetry.runningJobs &&
              v.lastHeartbeatAt === now,
            () => `telemetry of ${id} not recorded`,
          );
        }
        break;
      }
      case "control":
        s.handle({ type: c.op });
        if (m.mode === "running" && c.op === "pause") m.mode = "paused";
        else if (m.mode === "paused" && c.op === "resume") m.mode = "running";
        else if (m.mode !== "draining" && c.op === "drain") m.mode = "draining";
        break;
    }
    invariants();
  }
  // A last pass: whatever fits is placed.
  now += 1;
  schedule();
  invariants();
};

describe("scheduler placement against a reference model", () => {
  it("keeps capacity, matching, fit, priority/FIFO, key and loss invariants on random runs", () => {
    fc.assert(
      fc.property(
        config,
        fc.array(workerSpec, { minLength: 1, maxLength: 40, size: "max" }),
        fc.array(cmd({ control: false, losses: false }), {
          minLength: 1,
          maxLength: 80,
          size: "max",
        }),
        (cfg, cluster, cmds) => run(cfg, cluster, cmds),
      ),
      { numRuns: 4_000 },
    );
  });

  it("re-queues every lost job exactly once through many losses and reconnects", () => {
    fc.assert(
      fc.property(
        config,
        fc.array(workerSpec, { minLength: 1, maxLength: 16, size: "max" }),
        fc.array(cmd({ control: false, losses: true }), {
          minLength: 1,
          maxLength: 80,
          size: "max",
        }),
        (cfg, cluster, cmds) => run(cfg, cluster, cmds),
      ),
      { numRuns: 1_500 },
    );
  });

  describe("with pause, resume and drain", () => {
    // XState's development build warns on every event sent after `drain` (a final state); the
    // runs send some on purpose, to check that drain stays final.
    let warn: MockInstance<typeof console.warn>;
    beforeAll(() => {
      warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    });
    afterAll(() => warn.mockRestore());

    it("places nothing unless running, and drain is final", () => {
      fc.assert(
        fc.property(
          config,
          fc.array(workerSpec, { minLength: 1, maxLength: 12 }),
          fc.array(cmd({ control: true, losses: false }), {
            minLength: 1,
            maxLength: 60,
            size: "max",
          }),
          (cfg, cluster, cmds) => run(cfg, cluster, cmds),
        ),
        { numRuns: 1_000 },
      );
    });
  });
});
