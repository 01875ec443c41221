/**
 * The scheduler: the only owner of ClusterState and the queue. Synchronous and free of I/O:
 * `handle` takes one message, `schedule` runs a placement pass and returns what it decided.
 * `service.ts` gives it a mailbox and a fiber, which makes it the scheduler actor.
 *
 * A placement and its reservation are one step: `schedule` reserves the job's resources on the
 * chosen worker before it returns the placement, so no two jobs can take the same capacity.
 * The reservation lasts until `release` (the job ended, went back to the queue, or was lost
 * with its worker).
 *
 * Named queues and rate limits (queue-limits.ts) hold a job before any worker is looked at. A
 * job held by a rate limit makes the scheduler due again when the next token is there
 * (`wakeAt`): the actor sets a timer for it, and the pass at that time visits every queued job.
 */
import { createActor } from "xstate";
import { schedulerMachine } from "../../actors/scheduler.ts";
import type { SchedulerMessage, SchedulerEvent, Placement } from "./messages.ts";
import { ClusterState, type WorkerView } from "./cluster-state.ts";
import { explain, type Explanation } from "./explain.ts";
import { JobQueue, queuedAgain, type QueuedJob, type Strategy } from "./job-queue.ts";
import { Placer, requirementKey } from "./placement.ts";
import { describeHold, QueueLimits } from "./queue-limits.ts";
import type { QueueSettings } from "../domain/queue.ts";

export type { SchedulerMessage, SchedulerEvent, Placement } from "./messages.ts";

export interface SchedulerConfig {
  readonly strategy: Strategy;
  /** Random feasible workers ranked per decision in a large class; 0 ranks every worker. */
  readonly samples: number;
  readonly agingMs: number;
  readonly agingStep: number;
  /** At most this many jobs with the same concurrency key hold reservations at once. */
  readonly concurrencyLimits: Readonly<Record<string, number>>;
  readonly defaultConcurrencyLimit: number;
}

export const defaultSchedulerConfig: SchedulerConfig = {
  strategy: "spread",
  samples: 16,
  agingMs: 60_000,
  agingStep: 50,
  concurrencyLimits: {},
  defaultConcurrencyLimit: 1,
};

export interface QueueStats {
  readonly settings: QueueSettings;
  readonly queued: number;
  readonly running: number;
  readonly rateLimited: number;
}

export class Scheduler {
  readonly state = new ClusterState();
  readonly queue: JobQueue;
  private readonly placer: Placer;
  private readonly control = createActor(schedulerMachine).start();
  /** Jobs holding a reservation, with what they asked for: a lost worker's jobs are re-queued from it. */
  private readonly placed = new Map<string, QueuedJob>();
  private readonly perKey = new Map<string, number>();
  private readonly everPlaced = new Set<string>();
  /** Capacity grew (release, new or recovered worker) since the last pass. */
  private capacityChanged = false;
  private fresh: QueuedJob[] = [];
  readonly limits = new QueueLimits();
  /** When a job held by a rate limit may go: a full pass is due then. Infinity: never. */
  wakeAt = Number.POSITIVE_INFINITY;
  private lastPass = 0;
  events: SchedulerEvent[] = [];
  /** The parts of the job `groupOf` keyed last, and its key. */
  private lastGroup:
    | (Pick<QueuedJob, "demand" | "labels" | "constraints" | "handler" | "strategy" | "queue"> & {
        readonly rateLimitKey: string | undefined;
        readonly key: string;
      })
    | undefined;

  constructor(readonly config: SchedulerConfig = defaultSchedulerConfig) {
    this.queue = new JobQueue(config);
    this.placer = new Placer(this.state, config.samples);
  }

  get mode(): "running" | "paused" | "draining" {
    return this.control.getSnapshot().value as "running" | "paused" | "draining";
  }

  handle(m: SchedulerMessage): void {
    switch (m.type) {
      case "enqueue":
        if (!this.placed.has(m.job.jobId) && this.queue.push(m.job, this.groupOf(m.job))) {
          this.fresh.push(m.job);
        }
        return;
      case "dequeue":
        this.queue.remove(m.jobId);
        return;
      case "queue_settings":
        this.limits.configure(m.settings);
        // Resumed or loosened: what it held may go now.
        this.capacityChanged = true;
        return;
      case "wake":
        return;
      case "release":
        this.release(m.jobId);
        return;
      case "adopt": {
        const slot = this.state.slot(m.workerId);
        if (slot === undefined || this.placed.has(m.job.jobId)) return;
        this.queue.remove(m.job.jobId);
        this.state.reserve(m.job.jobId, slot, m.job.demand, m.job.concurrencyKey);
        const key = m.job.concurrencyKey;
        if (key !== undefined) this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
        this.limits.adopted(m.job);
        this.placed.set(m.job.jobId, m.job);
        this.everPlaced.add(m.job.jobId);
        return;
      }
      case "register":
        this.state.upsert(m.workerId, m.capacity, m.labels, m.handlers, m.at);
        this.capacityChanged = true;
        return;
      case "heartbeat":
        this.heartbeat(m.workerId, m.telemetry, m.at);
        return;
      case "lost":
        this.lost(m.workerId, m.at);
        return;
      case "drain_worker": {
        const slot = this.state.slot(m.workerId);
        if (slot !== undefined) this.state.setDraining(slot, true);
        return;
      }
      case "remove_worker": {
        // Release through the scheduler, not only ClusterState: its placed jobs and their
        // concurrency keys must be freed too, or the keys stay taken and the jobs can never be
        // enqueued again.
        const slot = this.state.slot(m.workerId);
        if (slot !== undefined) for (const jobId of this.state.jobsOn(slot)) this.release(jobId);
        this.state.remove(m.workerId);
        return;
      }
      default:
        this.control.send(m);
    }
  }

  /**
   * Kept out of `handle`'s switch for the hot path: a heartbeat only writes a few numbers.
   * A lost worker's heartbeat is not taken: it must register again to rejoin, so that what it
   * runs is reconciled first.
   */
  heartbeat(
    workerId: string,
    telemetry: Parameters<ClusterState["heartbeat"]>[1],
    at: number,
  ): "ok" | "unknown" | "lost" {
    const slot = this.state.slot(workerId);
    if (slot === undefined) return "unknown";
    if (this.state.c.healthy[slot] !== 1) return "lost";
    this.state.heartbeat(slot, telemetry, at);
    return "ok";
  }

  /**
   * The worker missed its deadline: it takes nothing more, its reservations are released and,
   * with `requeue`, its jobs are queued again at once from what they asked for. The supervisor
   * passes `requeue: false` and lets each job's actor decide (another attempt, or the end).
   */
  lost(workerId: string, at: number, requeue = true): string[] {
    const slot = this.state.slot(workerId);
    if (slot === undefined) return [];
    this.state.setHealthy(slot, false);
    const jobs = this.state.jobsOn(slot);
    for (const jobId of jobs) {
      const job = this.placed.get(jobId);
      this.release(jobId);
      if (requeue && job !== undefined) {
        this.handle({ type: "enqueue", job: queuedAgain(job, at) });
      }
    }
    this.events.push({ type: "worker_lost", workerId, jobs, at });
    return jobs;
  }

  release(jobId: string): void {
    const r = this.state.release(jobId);
    const job = this.placed.get(jobId);
    this.placed.delete(jobId);
    if (job !== undefined) this.limits.released(job);
    if (r === undefined) return;
    if (r.concurrencyKey !== undefined)
      this.perKey.set(r.concurrencyKey, (this.perKey.get(r.concurrencyKey) ?? 1) - 1);
    this.capacityChanged = true;
  }

  /**
   * One placement pass. After a capacity change every queued job is considered; otherwise
   * only the jobs queued since the last pass (nothing else could have become placeable).
   */
  schedule(now: number): Placement[] {
    const out: Placement[] = [];
    this.lastPass = now;
    if (this.mode !== "running") return out;
    const visit = (job: QueuedJob) => this.tryPlace(job, now, out);
    if (this.capacityChanged || now >= this.wakeAt) {
      this.capacityChanged = false;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.limits.sweep(now);
      this.fresh = [];
      this.queue.pass(now, visit);
    } else if (this.fresh.length > 0) {
      const fresh = this.fresh;
      this.fresh = [];
      // In the order a full pass would show them: the highest effective priority first, then
      // arrival order (the sort is stable), so a newer high-priority job is not placed after
      // an older low-priority one, nor left queued behind it.
      const eff = (job: QueuedJob) => this.queue.effectivePriority(job, now);
      fresh.sort((a, b) => eff(b) - eff(a));
      const blocked = new Set<string>();
      for (const job of fresh) {
        // Identity, not the id: a job dequeued and enqueued again (maybe changed) since it
        // entered `fresh` is visited once, as it is queued now, at its new place.
        if (!this.queue.holds(job) || blocked.has(this.groupOf(job))) continue;
        const verdict = visit(job);
        if (verdict === "placed") this.queue.remove(job.jobId);
        else if (verdict === "block") blocked.add(this.groupOf(job));
      }
    }
    return out;
  }

  private tryPlace(job: QueuedJob, now: number, out: Placement[]): "placed" | "skip" | "block" {
    // Held by its queue or its rate limit key: so is every job of its group (groupOf).
    const hold = this.limits.hold(job, now);
    if (hold !== undefined) {
      if (hold.kind === "rate" && hold.until < this.wakeAt) this.wakeAt = hold.until;
      return "block";
    }
    const key = job.concurrencyKey;
    if (key !== undefined && (this.perKey.get(key) ?? 0) >= this.limitOf(key)) return "skip";
    const slot = this.placer.place(job, job.demand, job.strategy ?? this.config.strategy);
    if (slot < 0) return "block";
    this.state.reserve(job.jobId, slot, job.demand, key);
    if (key !== undefined) this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
    this.limits.placed(job, now);
    this.placed.set(job.jobId, job);
    const workerId = this.state.ids[slot]!;
    const replaced = this.everPlaced.has(job.jobId);
    this.everPlaced.add(job.jobId);
    out.push({
      jobId: job.jobId,
      workerId,
      at: now,
      waitedMs: now - job.enqueuedAt,
      priority: job.priority,
      replaced,
    });
    return "placed";
  }

  /** Forget a job that reached a terminal state (its re-placement history included). */
  forget(jobId: string): void {
    this.release(jobId);
    this.queue.remove(jobId);
    this.everPlaced.delete(jobId);
  }

  /** Why a queued job waits, at `now` (the time of the last pass unless given). */
  explain(jobId: string, now = this.lastPass): Explanation | undefined {
    const job = this.queue.get(jobId);
    if (job === undefined) return undefined;
    const hold = this.limits.hold(job, now);
    if (hold !== undefined) {
      return { ...explain(this.state, job), never: false, reason: describeHold(hold, now) };
    }
    const key = job.concurrencyKey;
    const running = key === undefined ? 0 : (this.perKey.get(key) ?? 0);
    if (key !== undefined && running >= this.limitOf(key)) {
      const base = explain(this.state, job);
      return {
        ...base,
        never: false,
        reason: `concurrency key ${key} is at its limit (${running} of ${this.limitOf(key)} running)`,
      };
    }
    return explain(this.state, job);
  }

  /**
   * Whether, and why not, a job not in the queue (one about to be submitted) could be placed on
   * the workers as they are now. `never` says no registered worker could ever take it.
   */
  explainNew(job: QueuedJob): Explanation {
    return explain(this.state, job);
  }

  workers(): WorkerView[] {
    return this.state.views();
  }

  /**
   * Every queue with settings, jobs queued or jobs running, by name: its settings, jobs queued,
   * holding a worker, and held by a rate limit at `now` (one look at each queued job that has a
   * rate limit, its own or its queue's: for the API and a scrape, not the placement path).
   */
  queueStats(now: number): ReadonlyMap<string, QueueStats> {
    const limited = new Map<string, number>();
    for (const job of this.queue.jobs()) {
      if (job.rateLimit === undefined && this.limits.settingsOf(job.queue).rateLimit === null)
        continue;
      if (this.limits.hold(job, now)?.kind === "rate")
        limited.set(job.queue, (limited.get(job.queue) ?? 0) + 1);
    }
    const names = [...new Set([...this.limits.known(), ...this.queue.queues()])].sort();
    return new Map(
      names.map((name) => [
        name,
        {
          settings: this.limits.settingsOf(name),
          queued: this.queue.depth(name),
          running: this.limits.runningIn(name),
          rateLimited: limited.get(name) ?? 0,
        },
      ]),
    );
  }

  private limitOf(key: string): number {
    return this.config.concurrencyLimits[key] ?? this.config.defaultConcurrencyLimit;
  }

  /**
   * The group of `job`: its requirements, demand, strategy and limits as one key. Jobs come in
   * runs of one spec whose parts are shared (spec-intern.ts), so the last job's key is kept and
   * given again, the same string, when every part is the same object: a backlog's million
   * enqueues build one key, not a million (and the queue hashes it once).
   */
  private groupOf(job: QueuedJob): string {
    const last = this.lastGroup;
    if (
      last !== undefined &&
      last.demand === job.demand &&
      last.labels === job.labels &&
      last.constraints === job.constraints &&
      last.handler === job.handler &&
      last.strategy === job.strategy &&
      last.queue === job.queue &&
      last.rateLimitKey === job.rateLimit?.key
    ) {
      return last.key;
    }
    const d = job.demand;
    const limits = `${job.queue}|${job.rateLimit?.key ?? ""}`;
    const key = `${requirementKey(job)}|${d.cpuMillis}|${d.memoryMb}|${d.gpus}|${job.strategy ?? ""}|${limits}`;
    this.lastGroup = {
      demand: job.demand,
      labels: job.labels,
      constraints: job.constraints,
      handler: job.handler,
      strategy: job.strategy,
      queue: job.queue,
      rateLimitKey: job.rateLimit?.key,
      key,
    };
    return key;
  }
}
