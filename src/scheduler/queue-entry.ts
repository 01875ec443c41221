/**
 * A queued job's place in the queue (job-queue.ts): its FIFO and its arrival number.
 *
 * A backlog holds a million queued jobs, so a queued job can be its own entry: one object a
 * job, not a job and an entry (56 bytes and a map slot's worth less each). The supervisor's
 * queued jobs are (`SpecQueuedJob` extends `QueueEntry`); any other `QueuedJob` (the tests',
 * a job queued again) is wrapped in one. An entry is used once: a job object queued again
 * after it left gets a wrapper, so an old place of it, still in its FIFO until compacted, is
 * never mistaken for the new one.
 */
import type { QueuedJob } from "./job-queue.ts";

/** One FIFO: the jobs of one group (same requirements and demand) at one priority. */
export class Bucket {
  items: QueueEntry[] = [];
  live = 0;
  cursor = 0;

  constructor(
    readonly group: string,
    readonly priority: number,
  ) {}

  compact(): void {
    if (this.items.length > 1024 && this.live < this.items.length / 2) {
      this.items = this.items.filter((e) => !e.dead);
    }
  }
}

export abstract class QueueEntry {
  /** Its FIFO, once queued: a removal finds it without building the bucket's key again. */
  queueBucket: Bucket | undefined = undefined;
  /** Its arrival number among all queued jobs; -1 before it is queued and once it left. */
  queueSeq = -1;

  /** The job this entry places. */
  abstract get job(): QueuedJob;

  get dead(): boolean {
    return this.queueSeq < 0;
  }

  /** `job` as an entry of `bucket`: the job itself when it is an entry never used. */
  static of(job: QueuedJob, bucket: Bucket, seq: number): QueueEntry {
    const entry =
      job instanceof QueueEntry && job.queueBucket === undefined ? job : new Wrapped(job);
    entry.queueBucket = bucket;
    entry.queueSeq = seq;
    return entry;
  }
}

class Wrapped extends QueueEntry {
  constructor(readonly job: QueuedJob) {
    super();
  }
}
