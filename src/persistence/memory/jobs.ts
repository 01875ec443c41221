/**
 * In-memory JobStore: the reference behaviour of the port, for tests. Heads and statuses are
 * kept apart as in the persistent adapters, so `applySnapshot` (called by the memory Store's
 * snapshot commits) rewrites a status exactly as LMDB and PostgreSQL do.
 */
import { Effect, Either } from "effect";
import { NotFound } from "../../domain/errors.ts";
import type { JobId } from "../../domain/ids.ts";
import type { Job } from "../../domain/job.ts";
import { isTerminalJobState, type JobState } from "../../domain/job-state.ts";
import { decodeCursor, pageLimit, pageOf } from "../cursor.ts";
import type { StoreError } from "../errors.ts";
import { decodeJob, headOf, statusOf, type JobHead, type JobStatus } from "../job-status.ts";
import {
  matchesDetails,
  purgeCutoff,
  type CreateResult,
  type JobFilter,
  type JobStore,
} from "../jobs.ts";
import { present, Quarantine } from "../quarantine.ts";

/** `reopen` (and `createNow`, a create with a record) needs the snapshots: store.ts adds them. */
export interface MemoryJobStore extends Omit<JobStore, "reopen" | "createNow"> {
  /** A status derived from a job actor's snapshot; ignored for a job that is not stored. */
  readonly applyStatus: (id: string, status: JobStatus) => void;
  /** Removes jobs finished before `before` (failed ones before `failedBefore`); their ids. */
  readonly purge: (before: number, failedBefore: number) => ReadonlyArray<string>;
  readonly commits: () => number;
}

interface Row {
  readonly head: JobHead;
  status: JobStatus;
}

export const makeMemoryJobStore = (quarantine = new Quarantine()): MemoryJobStore => {
  const rows = new Map<string, Row>();
  const byKey = new Map<string, string>();
  let commits = 0;

  const read = (row: Row): Either.Either<Job, StoreError> =>
    decodeJob("jobs.get", row.head, row.status);

  const createOne = (job: Job): CreateResult => {
    const key = job.spec.idempotencyKey;
    const existing = rows.get((key !== undefined ? byKey.get(key) : undefined) ?? job.id);
    if (existing !== undefined) return { job: Either.getOrThrow(read(existing)), created: false };
    rows.set(job.id, { head: headOf(job), status: statusOf(job) });
    if (key !== undefined) byKey.set(key, job.id);
    return { job, created: true };
  };

  const matches = (row: Row, filter: JobFilter, states: ReadonlySet<JobState> | undefined) =>
    (states === undefined || states.has(row.status.state)) &&
    (filter.pipelineRunId === undefined || row.head.pipelineRunId === filter.pipelineRunId) &&
    (filter.handler === undefined || row.head.spec.handler?.name === filter.handler) &&
    (filter.queue === undefined || row.head.spec.queue === filter.queue) &&
    (filter.label === undefined ||
      (Object.hasOwn(row.head.spec.labels, filter.label.key) &&
        row.head.spec.labels[filter.label.key] === filter.label.value)) &&
    matchesDetails(
      {
        spec: row.head.spec,
        updatedAt: row.status.updatedAt,
        ...(row.status.result !== undefined ? { result: row.status.result } : {}),
      },
      filter,
    );

  return {
    create: (job) =>
      Effect.sync(() => {
        commits++;
        return createOne(job);
      }),
    createBatch: (jobs) =>
      Effect.sync(() => {
        commits++;
        return jobs.map(createOne);
      }),
    get: (id) =>
      Effect.suspend((): Effect.Effect<Job, NotFound | StoreError> => {
        const row = rows.get(id);
        return row === undefined ? Effect.fail(new NotFound({ kind: "job", id })) : read(row);
      }),
    queueRows: (ids) =>
      Effect.sync(() =>
        ids.map((id) => {
          const row = rows.get(id);
          if (row === undefined) return undefined;
          const state = row.status.state;
          return { spec: row.head.spec, open: isTerminalJobState(state) ? undefined : state };
        }),
      ),
    openRows: (states, after, limit) =>
      Effect.sync(() => {
        const ids = [...rows.keys()]
          .filter(
            (id) =>
              (after === undefined || id > after) && states.includes(rows.get(id)!.status.state),
          )
          .sort();
        const page = ids.slice(0, limit).map((id) => {
          const { head, status } = rows.get(id)!;
          return {
            id: id as JobId,
            spec: head.spec,
            createdAt: head.createdAt,
            state: status.state,
          };
        });
        return { rows: page, next: ids.length > limit ? page.at(-1)!.id : null };
      }),
    list: (filter = {}) =>
      Effect.gen(function* () {
        const after = yield* decodeCursor(filter.cursor);
        const limit = yield* pageLimit(filter.limit);
        const states =
          filter.state === undefined
            ? undefined
            : new Set<JobState>(typeof filter.state === "string" ? [filter.state] : filter.state);
        const newest = filter.order === "newest";
        const ids = [...rows.keys()]
          .filter((id) => after === undefined || (newest ? id < after : id > after))
          .sort();
        if (newest) ids.reverse();
        const found: Row[] = [];
        for (const id of ids) {
          const row = rows.get(id)!;
          if (matches(row, filter, states)) found.push(row);
          if (found.length > limit) break;
        }
        const page = pageOf(found, limit, (r) => r.head.id);
        const jobs = yield* Effect.forEach(page.items, (r) => quarantine.skip(read(r)));
        return { jobs: present(jobs), next: page.next };
      }),
    applyStatus: (id, status) => {
      const row = rows.get(id);
      if (row !== undefined) row.status = status;
    },
    purge: (before, failedBefore) => {
      const gone: string[] = [];
      for (const [id, row] of rows) {
        const { state, updatedAt } = row.status;
        if (isTerminalJobState(state) && updatedAt < purgeCutoff(state, before, failedBefore)) {
          rows.delete(id);
          const key = row.head.spec.idempotencyKey;
          if (key !== undefined && byKey.get(key) === id) byKey.delete(key);
          gone.push(id);
        }
      }
      return gone;
    },
    commits: () => commits,
  };
};
