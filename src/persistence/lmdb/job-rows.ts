/**
 * Job rows in LMDB (see layout.ts): reading a job from its row and its actor's snapshot, writing
 * a new one with its index keys, and moving its index keys when its state changes. Every
 * function here runs inside a write transaction's callback (or reads committed data), so reads
 * see the transaction's own earlier writes.
 */
import { Either } from "effect";
import type { Job } from "../../domain/job.ts";
import { defaultQueue } from "../../domain/queue.ts";
import { isTerminalJobState, type JobState } from "../../domain/job-state.ts";
import { storeError, type StoreError } from "../errors.ts";
import { corrupt } from "../quarantine.ts";
import {
  decodeJob,
  headOf,
  statusOf,
  statusOfSnapshot,
  type JobHead,
  type JobStatus,
} from "../job-status.ts";
import type { SnapshotRecord } from "../snapshots.ts";
import type { Databases } from "./layout.ts";

/** The `jobs` value: head, and the status as create wrote it. */
export interface JobRow extends JobHead {
  readonly status: JobStatus;
}

export const jobAddressOf = (id: string): string => `job/${id}`;

export const snapshotOf = (dbs: Databases, id: string): SnapshotRecord | undefined =>
  dbs.snapshots.get(jobAddressOf(id)) as SnapshotRecord | undefined;

/** The status's owner is the actor once it has committed a snapshot, the row before. */
export const currentStatus = (dbs: Databases, row: JobRow): JobStatus => {
  const snapshot = snapshotOf(dbs, row.id);
  return snapshot === undefined ? row.status : statusOfSnapshot(snapshot);
};

export const readJob = (
  dbs: Databases,
  id: string,
  operation: string,
): Either.Either<Job | undefined, StoreError> => {
  const row = dbs.jobs.get(id) as JobRow | undefined;
  if (row === undefined) return Either.right(undefined);
  return Either.try({
    try: () => currentStatus(dbs, row),
    // Its snapshot does not describe a job status: the record cannot be read.
    catch: (e) => corrupt(operation, "job", id, storeError(operation)(e).message),
  }).pipe(
    Either.flatMap((status) => {
      const { status: _, ...head } = row;
      return decodeJob(operation, head, status, true);
    }),
  );
};

/** Index keys for a job entering `to` (from `from`, or new when undefined), at `at`. */
export const moveIndexes = (
  dbs: Databases,
  id: string,
  from: JobState | undefined,
  to: JobState,
  at: number,
): void => {
  if (from === to) return;
  if (isTerminalJobState(to)) {
    if (from !== undefined) void dbs.jobsOpen.remove(id);
    void dbs.jobsDone.put([to, id], null);
    void dbs.jobsFinished.put([at, id], null);
  } else {
    void dbs.jobsOpen.put(id, to);
  }
};

export const writeNewJob = (dbs: Databases, job: Job): void => {
  const row: JobRow = { ...headOf(job), status: statusOf(job) };
  void dbs.jobs.put(job.id, row);
  moveIndexes(dbs, job.id, undefined, job.state, job.updatedAt);
  if (job.pipelineRunId !== undefined) void dbs.jobsByRun.put([job.pipelineRunId, job.id], null);
  for (const [key, value] of Object.entries(job.spec.labels)) {
    void dbs.jobsByLabel.put([key, value, job.id], null);
  }
  // The default queue is not indexed: it holds most jobs, and every job stored before queues.
  if (job.spec.queue !== defaultQueue) void dbs.jobsByQueue.put([job.spec.queue, job.id], null);
  if (job.spec.idempotencyKey !== undefined) {
    void dbs.idempotency.put(job.spec.idempotencyKey, job.id);
  }
};

/** Removes a finished job and everything that hangs off it; returns false if it is not stored. */
export const removeJob = (dbs: Databases, id: string): boolean => {
  const row = dbs.jobs.get(id) as JobRow | undefined;
  if (row === undefined) return false;
  const snapshot = snapshotOf(dbs, id);
  const status = snapshot === undefined ? row.status : statusOfSnapshot(snapshot);
  void dbs.jobs.remove(id);
  void dbs.jobsOpen.remove(id);
  void dbs.jobsDone.remove([status.state, id]);
  void dbs.jobsFinished.remove([status.updatedAt, id]);
  if (row.pipelineRunId !== undefined) void dbs.jobsByRun.remove([row.pipelineRunId, id]);
  for (const [key, value] of Object.entries(row.spec.labels)) {
    void dbs.jobsByLabel.remove([key, value, id]);
  }
  const queue: string | undefined = row.spec.queue;
  if (queue !== undefined && queue !== defaultQueue) void dbs.jobsByQueue.remove([queue, id]);
  const key = row.spec.idempotencyKey;
  if (key !== undefined && dbs.idempotency.get(key) === id) void dbs.idempotency.remove(key);
  void dbs.snapshots.remove(jobAddressOf(id));
  void dbs.snapshotsActive.remove(["job", jobAddressOf(id)]);
  const chunks = [...dbs.logs.getKeys({ start: [id, 0], end: [id, "\uffff"] })];
  for (const key of chunks) void dbs.logs.remove(key);
  void dbs.logHeads.remove(id);
  return true;
};
