/**
 * The queue of jobs waiting for placement: one FIFO per priority, merged at read time.
 *
 * Jobs are kept in buckets of one group (see `push`) and one priority, each a FIFO.
 * Order: the highest *effective* priority first, the oldest first among equals. Effective
 * priority is the job's priority plus an aging bonus of `agingStep` per `agingMs` waited, so a
 * low-priority job climbs past newer high-priority ones in time and is never starved. Within
 * one priority the head is always the oldest, so the best job overall is the best of the heads.
 *
 * Removal (placed, cancelled) is lazy: the entry is marked and skipped, and a FIFO is compacted
 * once most of it is dead (never during an iteration), so removing from the middle of a
 * 100,000-job queue stays O(1).
 */
import type { Constraint } from "../domain/constraint.ts";
import type { Labels } from "../domain/primitives.ts";
import type { JobRateLimit } from "../domain/queue.ts";
import type { Demand } from "./cluster-state.ts";
import { Bucket, QueueEntry } from "./queue-entry.ts";

export type Strategy = "binpack" | "spread";

export interface QueuedJob {
  readonly jobId: string;
  readonly demand: Demand;
  readonly labels: Labels;
  readonly constraints: ReadonlyArray<Constraint>;
  readonly handler: string | undefined;
  readonly priority: number;
  readonly concurrencyKey: string | undefined;
  readonly strategy: Strategy | undefined;
  /** The named queue (JobSpec.queue) and the job's own rate limit key, if any. */
  readonly queue: string;
  readonly rateLimit: JobRateLimit | undefined;
  readonly enqueuedAt: number;
}

/**
 * `job` queued again at `at`. Its fields one by one, not a spread: a queued job may keep them
 * behind getters (the supervisor's reads them from the job's spec), which a spread drops.
 */
export const queuedAgain = (job: QueuedJob, at: number): QueuedJob => ({
  jobId: job.jobId,
  demand: job.demand,
  labels: job.labels,
  constraints: job.constraints,
  handler: job.handler,
  priority: job.priority,
  concurrencyKey: job.concurrencyKey,
  strategy: job.strategy,
  queue: job.queue,
  rateLimit: job.rateLimit,
  enqueuedAt: at,
});

export interface Aging {
  readonly agingMs: number;
  readonly agingStep: number;
}

/** What a pass does with the job it is shown. */
export type Verdict = "placed" | "skip" | "block";

export class JobQueue {
  private readonly buckets = new Map<string, Bucket>();
  private readonly entries = new Map<string, QueueEntry>();
  /** Queued jobs per named queue. */
  private readonly depths = new Map<string, number>();
  /** The bucket `push` used last (one of `buckets`). */
  private last: Bucket | undefined;
  private seq = 0;

  constructor(private readonly aging: Aging) {}

  get size(): number {
    return this.entries.size;
  }

  /** Jobs waiting at each (submitted) priority, highest first. */
  depthByPriority(): ReadonlyArray<readonly [priority: number, jobs: number]> {
    const depth = new Map<number, number>();
    for (const b of this.buckets.values()) {
      if (b.live > 0) depth.set(b.priority, (depth.get(b.priority) ?? 0) + b.live);
    }
    return [...depth].sort(([a], [b]) => b - a);
  }

  has(jobId: string): boolean {
    return this.entries.has(jobId);
  }

  /** Jobs queued in the named queue `queue`. */
  depth(queue: string): number {
    return this.depths.get(queue) ?? 0;
  }

  /** Every queued job, in no particular order. */
  *jobs(): IterableIterator<QueuedJob> {
    for (const e of this.entries.values()) yield e.job;
  }

  /** Named queues with jobs queued. */
  queues(): ReadonlyArray<string> {
    return [...this.depths.keys()];
  }

  get(jobId: string): QueuedJob | undefined {
    return this.entries.get(jobId)?.job;
  }

  /**
   * Whether `job`, this object, is queued now (`get(job.jobId) === job`). A job that is its own
   * entry and has not left says so itself, without a lookup. (One that left may be queued
   * again, wrapped: queue-entry.ts.)
   */
  holds(job: QueuedJob): boolean {
    if (job instanceof QueueEntry && job.job === job && !job.dead) return true;
    return this.get(job.jobId) === job;
  }

  /**
   * `group` names the jobs that are interchangeable for placement (same requirements, demand
   * and strategy): when one of them cannot be placed, none of them can, in the same pass.
   */
  push(job: QueuedJob, group: string): boolean {
    if (this.entries.has(job.jobId)) return false;
    // Jobs come in runs of one group and priority: the last bucket, without building its key.
    let bucket = this.last;
    if (bucket === undefined || bucket.group !== group || bucket.priority !== job.priority) {
      const key = `${group}\u0000${job.priority}`;
      bucket = this.buckets.get(key);
      if (bucket === undefined) {
        bucket = new Bucket(group, job.priority);
        this.buckets.set(key, bucket);
      }
      this.last = bucket;
    }
    const entry = QueueEntry.of(job, bucket, this.seq++);
    bucket.items.push(entry);
    bucket.live++;
    this.entries.set(job.jobId, entry);
    this.depths.set(job.queue, this.depth(job.queue) + 1);
    return true;
  }

  remove(jobId: string): QueuedJob | undefined {
    const entry = this.entries.get(jobId);
    if (entry === undefined) return undefined;
    entry.queueSeq = -1;
    this.entries.delete(jobId);
    const job = entry.job;
    const depth = this.depth(job.queue) - 1;
    if (depth > 0) this.depths.set(job.queue, depth);
    else this.depths.delete(job.queue);
    entry.queueBucket!.live--;
    return job;
  }

  effectivePriority(job: QueuedJob, now: number): number {
    if (this.aging.agingMs <= 0) return job.priority;
    const waited = Math.max(0, now - job.enqueuedAt);
    return job.priority + Math.floor(waited / this.aging.agingMs) * this.aging.agingStep;
  }

  /**
   * Shows every queued job once, best first, to `visit`: "placed" removes it, "skip" leaves it
   * queued, "block" leaves it and every other job of its group queued for the rest of the pass.
   * The cost is the jobs placed or skipped plus the number of buckets, not the queue's length.
   */
  pass(now: number, visit: (job: QueuedJob) => Verdict): void {
    const open = [...this.buckets.values()].filter((b) => b.live > 0);
    for (const b of open) b.cursor = 0;
    const blocked = new Set<string>();
    for (;;) {
      let best: Bucket | undefined;
      let bestScore = -Infinity;
      let bestSeq = Infinity;
      for (const b of open) {
        if (blocked.has(b.group)) continue;
        while (b.cursor < b.items.length && b.items[b.cursor]!.dead) b.cursor++;
        const e = b.items[b.cursor];
        if (e === undefined) continue;
        const score = this.effectivePriority(e.job, now);
        if (score > bestScore || (score === bestScore && e.queueSeq < bestSeq)) {
          best = b;
          bestScore = score;
          bestSeq = e.queueSeq;
        }
      }
      if (best === undefined) break;
      const entry = best.items[best.cursor]!;
      best.cursor++;
      const job = entry.job;
      const verdict = visit(job);
      if (verdict === "placed") this.remove(job.jobId);
      else if (verdict === "block") blocked.add(best.group);
    }
    for (const [key, b] of this.buckets) {
      if (b.live === 0) {
        this.buckets.delete(key);
        if (this.last === b) this.last = undefined;
      } else b.compact();
    }
  }
}
