/**
 * LMDB JobStore. Creates go through a group commit (group-commit.ts): the creates made in one
 * tick, or while the previous batch commits, run in one write transaction, and each caller waits
 * for the flush of that commit (`root.flushed`), so an acknowledged job is on disk, not only in
 * the page cache. (lmdb-js would group one transaction per create by itself, but each of them
 * costs a callback, a promise and a flush wait: the batch pays those once.) A lone create while
 * nothing else is written commits on the main thread (`durable.transaction`): the latency of a
 * job submitted to an idle supervisor.
 *
 * A list picks one index — pipeline run, else queue (not the default one), else label, else
 * state, else all jobs — walks it in id order from the cursor (backwards for the newest first),
 * and checks the other filters on each job it reads.
 */
import { Effect, Either } from "effect";
import type { RootDatabase } from "lmdb";
import { Conflict, NotFound } from "../../domain/errors.ts";
import { decodeParsedJobSpec } from "../../domain/decode.ts";
import { specRunDecoder } from "../../domain/spec-runs.ts";
import type { JobId } from "../../domain/ids.ts";
import type { Job } from "../../domain/job.ts";
import { defaultQueue } from "../../domain/queue.ts";
import { isTerminalJobState, type JobState } from "../../domain/job-state.ts";
import { decodeCursor, pageLimit, pageOf } from "../cursor.ts";
import { StoreError, storeError } from "../errors.ts";
import { makeGroupCommit } from "../group-commit.ts";
import {
  matchesDetails,
  notFinished,
  type JobFilter,
  type JobStore,
  type OpenRow,
} from "../jobs.ts";
import { corrupt, type Quarantine } from "../quarantine.ts";
import type { Durable } from "./durable.ts";
import { currentStatus, readJob, snapshotOf, type JobRow } from "./job-rows.ts";
import type { Databases } from "./layout.ts";
import { after, before, mergeSorted } from "./merge.ts";
import { createJobIn, prepareRecord, type PreparedRecord } from "./snapshots.ts";

export const makeLmdbJobStore = (
  root: RootDatabase,
  dbs: Databases,
  durable: Durable,
  maxBatch: number,
  quarantine: Quarantine,
): JobStore => {
  const createIn = (job: Job, placed?: PreparedRecord) => createJobIn(dbs, job, placed);

  const creates = makeGroupCommit(
    (requests: ReadonlyArray<readonly [Job, PreparedRecord | undefined]>) =>
      durable.promise(
        durable.transaction(() => requests.map(([j, p]) => createIn(j, p)), requests.length === 1),
      ),
    maxBatch,
  );

  const createNow: JobStore["createNow"] = (job, placed, done) => {
    let prepared: PreparedRecord | undefined;
    try {
      // A malformed record fails here, before anything is written.
      prepared = placed === undefined ? undefined : prepareRecord(placed);
    } catch (cause) {
      return done(Either.left(storeError("jobs.create")(cause)));
    }
    creates.submitNow([job, prepared], done, (cause) =>
      done(Either.left(storeError("jobs.create")(cause))),
    );
  };

  /**
   * The key bounds of an index whose keys are `[...prefix, jobId]`, from the cursor: upwards,
   * or (the newest first) downwards from its high end.
   */
  const bounds = (prefix: ReadonlyArray<string>, from: string | undefined, newest: boolean) =>
    newest
      ? { start: [...prefix, from ?? "\uffff"], end: [...prefix, ""], reverse: true }
      : { start: [...prefix, from ?? ""], end: [...prefix, "\uffff"] };

  const candidates = (filter: JobFilter, from: string | undefined): Iterable<string> => {
    const newest = filter.order === "newest";
    // Whole-table scans: backwards from the cursor, or from the last key.
    const scan = newest
      ? { ...(from !== undefined ? { start: from } : {}), reverse: true }
      : { start: from ?? "" };
    if (filter.pipelineRunId !== undefined) {
      const run = filter.pipelineRunId;
      return dbs.jobsByRun.getKeys(bounds([run], from, newest)).map((k) => k[1]);
    }
    if (filter.queue !== undefined && filter.queue !== defaultQueue) {
      return dbs.jobsByQueue.getKeys(bounds([filter.queue], from, newest)).map((k) => k[1]);
    }
    if (filter.label !== undefined) {
      const { key, value } = filter.label;
      return dbs.jobsByLabel.getKeys(bounds([key, value], from, newest)).map((k) => k[2]);
    }
    if (filter.state === undefined) return dbs.jobs.getKeys(scan);
    const states = typeof filter.state === "string" ? [filter.state] : filter.state;
    const open: ReadonlyArray<JobState> = states.filter((s) => !isTerminalJobState(s));
    const sources: Array<Iterable<string>> = states
      .filter(isTerminalJobState)
      .map((s) => dbs.jobsDone.getKeys(bounds([s], from, newest)).map((k) => k[1]));
    if (open.length > 0) {
      sources.push(
        dbs.jobsOpen
          .getRange(scan)
          .filter(({ value }) => open.includes(value as JobState))
          .map(({ key }) => key),
      );
    }
    return mergeSorted(sources, newest);
  };

  const matches = (job: Job, filter: JobFilter): boolean => {
    const states = filter.state;
    return (
      (states === undefined ||
        (typeof states === "string" ? states === job.state : states.includes(job.state))) &&
      (filter.pipelineRunId === undefined || job.pipelineRunId === filter.pipelineRunId) &&
      (filter.handler === undefined || job.spec.handler?.name === filter.handler) &&
      (filter.queue === undefined || job.spec.queue === filter.queue) &&
      (filter.label === undefined ||
        (Object.hasOwn(job.spec.labels, filter.label.key) &&
          job.spec.labels[filter.label.key] === filter.label.value)) &&
      matchesDetails(job, filter)
    );
  };

  const unwrap = <A>(e: Either.Either<A, StoreError>): A =>
    Either.getOrThrowWith(e, (error) => error);

  /**
   * An unfinished job as recovery needs it. A job whose actor committed a record has its status
   * there: that is decoded as any read of the job would (a record a read would refuse is
   * quarantined here too). A job with only its row has the status it was created with.
   */
  const openRowOf = (
    id: string,
    state: JobState,
    row: JobRow,
    decode: ReturnType<typeof specRunDecoder>,
  ): OpenRow | undefined => {
    if (snapshotOf(dbs, id) !== undefined) {
      const job = unwrap(quarantine.skip(readJob(dbs, id, "jobs.openRows")));
      return job && { id: job.id, spec: job.spec, createdAt: job.createdAt, state };
    }
    const spec = decode(row.spec);
    if (Either.isRight(spec)) {
      return { id: id as JobId, spec: spec.right, createdAt: row.createdAt, state };
    }
    quarantine.skip(Either.left(corrupt("jobs.openRows", "job", id, spec.left.message)));
    return undefined;
  };

  return {
    create: (job, placed) => Effect.async((resume) => createNow(job, placed, resume)),
    createNow,
    createBatch: (jobs, records) =>
      Effect.try({
        try: () => records?.map((r) => (r === undefined ? undefined : prepareRecord(r))),
        catch: storeError("jobs.createBatch"),
      }).pipe(
        Effect.flatMap((prepared) =>
          durable("jobs.createBatch", () =>
            root.transaction(() => Either.all(jobs.map((j, i) => createIn(j, prepared?.[i])))),
          ),
        ),
        Effect.flatten,
      ),
    get: (id) =>
      Effect.suspend(() => readJob(dbs, id, "jobs.get")).pipe(
        Effect.flatMap((job) =>
          job === undefined ? Effect.fail(new NotFound({ kind: "job", id })) : Effect.succeed(job),
        ),
      ),
    queueRows: (ids) =>
      Effect.try({
        try: () =>
          ids.map((id) => {
            const row = dbs.jobs.get(id) as JobRow | undefined;
            if (row === undefined) return undefined;
            const spec = decodeParsedJobSpec(row.spec);
            return Either.isLeft(spec)
              ? undefined
              : { spec: spec.right, open: dbs.jobsOpen.get(id) as JobState | undefined };
          }),
        catch: storeError("jobs.queueRows"),
      }),
    openRows: (states, after, limit) =>
      Effect.try({
        try: () => {
          const rows: OpenRow[] = [];
          let next: string | null = null;
          const decode = specRunDecoder();
          for (const { key, value } of dbs.jobsOpen.getRange({ start: after ?? "" })) {
            if (key === after || !states.includes(value as JobState)) continue;
            if (rows.length === limit) {
              next = rows[limit - 1]!.id;
              break;
            }
            const row = dbs.jobs.get(key) as JobRow | undefined;
            if (row === undefined) continue;
            const open = openRowOf(key, value as JobState, row, decode);
            if (open !== undefined) rows.push(open);
          }
          return { rows, next };
        },
        catch: storeError("jobs.openRows"),
      }),
    list: (filter = {}) =>
      Effect.gen(function* () {
        const from = yield* decodeCursor(filter.cursor);
        const limit = yield* pageLimit(filter.limit);
        const found = yield* Effect.try({
          try: () => {
            const jobs: Job[] = [];
            const ids = candidates(filter, from);
            const past = filter.order === "newest" ? before(ids, from) : after(ids, from);
            for (const id of past) {
              const job = unwrap(quarantine.skip(readJob(dbs, id, "jobs.list")));
              if (job !== undefined && matches(job, filter)) jobs.push(job);
              if (jobs.length > limit) break;
            }
            return jobs;
          },
          catch: storeError("jobs.list"),
        });
        const page = pageOf(found, limit, (j) => j.id);
        return { jobs: page.items, next: page.next };
      }),
    reopen: (id, record) =>
      Effect.try({
        try: () => prepareRecord(record),
        catch: storeError("jobs.reopen"),
      }).pipe(
        Effect.flatMap((prepared) =>
          durable("jobs.reopen", () =>
            root.transaction((): Either.Either<Job, NotFound | Conflict | StoreError> => {
              const row = dbs.jobs.get(id) as JobRow | undefined;
              if (row === undefined) return Either.left(new NotFound({ kind: "job", id }));
              const status = currentStatus(dbs, row);
              if (!isTerminalJobState(status.state)) {
                return Either.left(notFinished(id, status.state));
              }
              void dbs.jobsDone.remove([status.state, id]);
              void dbs.jobsFinished.remove([status.updatedAt, id]);
              void dbs.jobsOpen.put(id, prepared.state!);
              void dbs.snapshots.put(record.address, record);
              return readJob(dbs, id, "jobs.reopen") as Either.Either<Job, StoreError>;
            }),
          ),
        ),
        Effect.flatten,
      ),
  };
};
