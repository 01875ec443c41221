/**
 * Port: the durable job records — what `POST /jobs` writes before it answers, and what the API
 * lists and the supervisor recovers from.
 *
 * Glossary:
 * - **head**: what never changes after `create` (id, spec, createdAt, pipeline run and step).
 * - **status**: where the job is (state, attempt, worker, result, updatedAt, transitions). It is
 *   written by the job actor's snapshot commits (see snapshots.ts).
 * - **acknowledged**: `create` returned. The job row is durable (the commit that holds it is
 *   flushed), so the job survives any crash from then on. The actor is spawned after that.
 *
 * `create` is idempotent: a job whose id, or whose `spec.idempotencyKey`, is already stored is
 * not written again, and the stored job comes back with `created: false`. A job placed as it is
 * created comes with its actor's first record (`placed`: the job `scheduled` on a worker), and
 * is born in that state: row and record in the same commit, neither when it existed. Creates
 * made at the same time (one tick, or while a commit is in flight) share one commit (group
 * commit).
 *
 * `list` pages in creation order (ULIDs sort by time), the oldest first or, with `order:
 * "newest"`, the newest first: `cursor` is opaque, taken from the page before (in the same order). Recovery lists the non-terminal states (`unfinishedJobStates`) and spawns a fresh actor
 * for every job that has no snapshot.
 */
import { Cause, Effect, Either, Exit } from "effect";
import { Conflict, type InvalidInput, type NotFound } from "../domain/errors.ts";
import type { Job, JobResult } from "../domain/job.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import type { JobId } from "../domain/ids.ts";
import { jobStates, isTerminalJobState, type JobState } from "../domain/job-state.ts";
import { storeError, type StoreError } from "./errors.ts";
import type { SnapshotRecord } from "./snapshots.ts";

export interface CreateResult {
  readonly job: Job;
  /** False when an existing job was returned for a repeated id or idempotency key. */
  readonly created: boolean;
}

export interface JobFilter {
  /** One state or any of several. */
  readonly state?: JobState | ReadonlyArray<JobState>;
  readonly pipelineRunId?: string;
  /** Jobs of this named queue (`spec.queue`). */
  readonly queue?: string;
  /** Jobs whose `spec.labels` has this entry. */
  readonly label?: { readonly key: string; readonly value: string };
  /** Handler jobs of this handler name. */
  readonly handler?: string;
  /** Jobs whose result's error contains this text (case-insensitive). */
  readonly error?: string;
  /** Jobs whose state changed last at or after this time (epoch ms): "failed in the last hour". */
  readonly updatedSince?: number;
  /** Creation order, the oldest first (the default) or the newest first. */
  readonly order?: ListOrder;
  /** Page size, 1 to `maxPageSize`; `defaultPageSize` when absent. */
  readonly limit?: number;
  readonly cursor?: string;
}

export type ListOrder = "oldest" | "newest";

export interface JobPage {
  readonly jobs: ReadonlyArray<Job>;
  /** The cursor of the next page, or null when this page is the last. */
  readonly next: string | null;
}

/** A job's spec, and its state while it is unfinished (undefined once it is final). */
export interface QueueRow {
  readonly spec: JobSpec;
  readonly open: JobState | undefined;
}

/** An unfinished job as recovery needs it: no status details (attempts, history, result). */
export interface OpenRow {
  readonly id: JobId;
  readonly spec: JobSpec;
  readonly createdAt: number;
  readonly state: JobState;
}

export interface JobStore {
  readonly create: (job: Job, placed?: SnapshotRecord) => Effect.Effect<CreateResult, StoreError>;
  /**
   * `create` without an Effect: `done` is called once, after the commit, with what `create`
   * gives. A single submit's path (core.ts): a fiber per job cost more than its commit's share.
   */
  readonly createNow: (job: Job, placed: SnapshotRecord | undefined, done: CreateDone) => void;
  /**
   * Many jobs in one commit, results in the same order. `records[i]`, when given, is job i's
   * actor's first record, committed with its row as `create`'s `placed` is (a delayed job).
   */
  readonly createBatch: (
    jobs: ReadonlyArray<Job>,
    records?: ReadonlyArray<SnapshotRecord | undefined>,
  ) => Effect.Effect<ReadonlyArray<CreateResult>, StoreError>;
  readonly get: (id: string) => Effect.Effect<Job, NotFound | StoreError>;
  /**
   * What queueing jobs read back from the store needs of their rows, in one read: each one's
   * spec and, while it is unfinished, its state (`open`). In the order asked; undefined for an
   * unknown id or a spec that does not decode. It fails only when the store cannot be read.
   */
  readonly queueRows: (
    ids: ReadonlyArray<string>,
  ) => Effect.Effect<ReadonlyArray<QueueRow | undefined>, StoreError>;
  readonly list: (filter?: JobFilter) => Effect.Effect<JobPage, InvalidInput | StoreError>;
  /**
   * Unfinished jobs in one of `states`, a page at a time in id order after `after`: what a
   * starting supervisor reads of each (`OpenRow`), without decoding its status. A row that
   * does not decode is skipped and quarantined, as `list` does. `next`: the last id of a full
   * page, null after the last.
   */
  readonly openRows: (
    states: ReadonlyArray<JobState>,
    after: string | undefined,
    limit: number,
  ) => Effect.Effect<
    { readonly rows: ReadonlyArray<OpenRow>; readonly next: string | null },
    StoreError
  >;
  /**
   * A finished job run again (redrive): its actor's new record (not done: `queued`, its history
   * kept) replaces the old one and the job leaves its final state, in one commit. Conflict
   * unless the job is final now.
   */
  readonly reopen: (
    id: string,
    record: SnapshotRecord,
  ) => Effect.Effect<Job, NotFound | Conflict | StoreError>;
}

export const unfinishedJobStates: ReadonlyArray<JobState> = jobStates.filter(
  (s) => !isTerminalJobState(s),
);

export const defaultPageSize = 100;
export const maxPageSize = 1000;

/** The filters every adapter checks on a job it read (handler, error text, updated since). */
export const matchesDetails = (
  job: { readonly spec: Job["spec"]; readonly updatedAt: number; readonly result?: JobResult },
  filter: JobFilter,
): boolean =>
  (filter.handler === undefined || job.spec.handler?.name === filter.handler) &&
  (filter.updatedSince === undefined || job.updatedAt >= filter.updatedSince) &&
  (filter.error === undefined ||
    (job.result?.error ?? "").toLowerCase().includes(filter.error.toLowerCase()));

export type CreateDone = (r: Either.Either<CreateResult, StoreError>) => void;

/** `createNow` from `create`, for a store whose create has no cheaper way to run. */
export const createNowOf =
  (create: JobStore["create"]): JobStore["createNow"] =>
  (job, placed, done) =>
    Effect.runCallback(Effect.either(create(job, placed)), {
      onExit: (exit) =>
        done(
          Exit.isSuccess(exit)
            ? exit.value
            : Either.left(storeError("jobs.create")(Cause.squash(exit.cause))),
        ),
    });

export const notFinished = (id: string, state: JobState) =>
  new Conflict({ message: `job ${id} is ${state}: only a finished job can be run again` });

/** The final states a failed job may end in: kept by their own retention. */
export const deadLetterStates: ReadonlySet<string> = new Set(["failed", "timed_out"]);

/** The cutoff of a job finished in `state`. */
export const purgeCutoff = (state: string, before: number, failedBefore: number): number =>
  deadLetterStates.has(state) ? failedBefore : before;
