/**
 * What named queues and rate limits let through, for the scheduler: each queue's settings
 * (paused, concurrency, rate limit), how many of its jobs hold a worker, and the token buckets
 * of queues and of rate-limit keys (`JobSpec.rateLimit`).
 *
 * A job is held — before any worker is looked at — when its queue is paused, its queue is at
 * its concurrency limit, or its queue's or its key's bucket has no token. A placement takes a
 * token from both. A hold by a bucket says when the next token is there (`until`): the
 * scheduler wakes up then, and not before.
 *
 * Key buckets are made on first use, with the limits the job gives (a later job giving other
 * limits for the same key changes them), and dropped once idle: a key costs nothing when none
 * of its tokens is out.
 */
import { defaultQueue, queueDefaults, type QueueSettings } from "../domain/queue.ts";
import type { QueuedJob } from "./job-queue.ts";
import { TokenBucket } from "./token-bucket.ts";

export type Hold =
  | { readonly kind: "paused"; readonly queue: string }
  | {
      readonly kind: "concurrency";
      readonly queue: string;
      readonly running: number;
      readonly limit: number;
    }
  | {
      readonly kind: "rate";
      readonly scope: "queue" | "key";
      readonly name: string;
      readonly until: number;
    };

export const describeHold = (h: Hold, now: number): string => {
  switch (h.kind) {
    case "paused":
      return `queue \`${h.queue}\` is paused`;
    case "concurrency":
      return `queue \`${h.queue}\` is at its concurrency limit (${h.running} of ${h.limit} running)`;
    case "rate":
      return `rate limited: ${h.scope} \`${h.name}\`, next slot in ${Math.max(0, Math.ceil(h.until - now))} ms`;
  }
};

export class QueueLimits {
  private readonly settings = new Map<string, QueueSettings>();
  private readonly running = new Map<string, number>();
  private readonly queueBuckets = new Map<string, TokenBucket>();
  private readonly keyBuckets = new Map<string, TokenBucket>();

  /** Replaces a queue's settings (its bucket keeps the tokens out, under the new limits). */
  configure(s: QueueSettings): void {
    this.settings.set(s.name, s);
    if (s.rateLimit === null) this.queueBuckets.delete(s.name);
    else {
      const b = this.queueBuckets.get(s.name);
      if (b === undefined)
        this.queueBuckets.set(s.name, new TokenBucket(s.rateLimit.max, s.rateLimit.perMs));
      else b.reconfigure(s.rateLimit.max, s.rateLimit.perMs);
    }
  }

  settingsOf(queue: string): QueueSettings {
    return this.settings.get(queue) ?? queueDefaults(queue);
  }

  /** Queues with settings, and queues with jobs holding a worker. */
  known(): ReadonlyArray<string> {
    return [...new Set([defaultQueue, ...this.settings.keys(), ...this.running.keys()])];
  }

  runningIn(queue: string): number {
    return this.running.get(queue) ?? 0;
  }

  /** Why `job` may not be placed now; undefined when its queue and keys let it through. */
  hold(job: QueuedJob, now: number): Hold | undefined {
    const s = this.settings.get(job.queue);
    if (s !== undefined) {
      if (s.paused) return { kind: "paused", queue: job.queue };
      const running = this.runningIn(job.queue);
      if (s.concurrency !== null && running >= s.concurrency) {
        return { kind: "concurrency", queue: job.queue, running, limit: s.concurrency };
      }
      const qb = this.queueBuckets.get(job.queue);
      if (qb !== undefined && !qb.available(now)) {
        return { kind: "rate", scope: "queue", name: job.queue, until: qb.nextSlotAt(now) };
      }
    }
    const r = job.rateLimit;
    if (r !== undefined) {
      const kb = this.keyBuckets.get(r.key);
      if (kb !== undefined) {
        const { max, perMs } = kb.limits;
        if (max !== r.max || perMs !== r.perMs) kb.reconfigure(r.max, r.perMs);
        if (!kb.available(now))
          return { kind: "rate", scope: "key", name: r.key, until: kb.nextSlotAt(now) };
      }
    }
    return undefined;
  }

  /** `job` was placed (after `hold` let it through): it takes its tokens and a running slot. */
  placed(job: QueuedJob, now: number): void {
    this.queueBuckets.get(job.queue)?.tryTake(now);
    const r = job.rateLimit;
    if (r !== undefined) {
      let kb = this.keyBuckets.get(r.key);
      if (kb === undefined) {
        kb = new TokenBucket(r.max, r.perMs);
        this.keyBuckets.set(r.key, kb);
      }
      kb.tryTake(now);
    }
    this.adopted(job);
  }

  /** A job holding a worker already (recovery): a running slot, no token. */
  adopted(job: QueuedJob): void {
    this.running.set(job.queue, this.runningIn(job.queue) + 1);
  }

  released(job: QueuedJob): void {
    const n = this.runningIn(job.queue) - 1;
    if (n > 0) this.running.set(job.queue, n);
    else this.running.delete(job.queue);
  }

  /** Drops key buckets with no token out. */
  sweep(now: number): void {
    for (const [key, b] of this.keyBuckets) if (b.idle(now)) this.keyBuckets.delete(key);
  }
}
