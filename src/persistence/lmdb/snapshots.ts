/**
 * LMDB SnapshotStore. One `saveBatch` is one write transaction: every snapshot of the round, and
 * for a job actor the index keys its state implies (layout.ts), and the jobs staged with them
 * (a pipeline step's), committed and flushed together. A small one while nothing else is written
 * commits on the main thread (`smallRound`, durable.ts says why).
 *
 * Unfinished actors are found again by two routes: jobs that have a row are the `jobs_open`
 * index (which the job's own commits keep), and every other actor is `snapshots_active`. So a
 * job transition writes no extra "active" key, and recovery of jobs walks one index.
 */
import { Effect, Either } from "effect";
import type { Job } from "../../domain/job.ts";
import type { JobState } from "../../domain/job-state.ts";
import { storeError, type StoreError } from "../errors.ts";
import type { CreateResult } from "../jobs.ts";
import { jobIdOfRecord, stateOfSnapshot } from "../job-status.ts";
import type { Quarantine } from "../quarantine.ts";
import {
  decodeActive,
  decodeSnapshotRecord,
  type SnapshotRecord,
  type SnapshotStore,
} from "../snapshots.ts";
import type { Durable } from "./durable.ts";
import { jobAddressOf, moveIndexes, readJob, writeNewJob } from "./job-rows.ts";
import type { Databases } from "./layout.ts";

/** A job record's id and state, checked before the transaction: a bad one fails it whole. */
export const prepareRecord = (record: SnapshotRecord) => {
  const id = jobIdOfRecord(record);
  return { record, id, ...(id === undefined ? undefined : stateOfSnapshot(record)) };
};
export type PreparedRecord = ReturnType<typeof prepareRecord>;

/** Writes one record in the transaction under way, with the job indexes its state implies. */
export const writeRecord = (dbs: Databases, { record, id, state, at }: PreparedRecord): void => {
  void dbs.snapshots.put(record.address, record);
  const open = id === undefined ? undefined : (dbs.jobsOpen.get(id) as JobState | undefined);
  if (open !== undefined) {
    moveIndexes(dbs, id!, open, state!, at!);
    return;
  }
  if (record.done) void dbs.snapshotsActive.remove([record.kind, record.address]);
  else void dbs.snapshotsActive.put([record.kind, record.address], null);
};

/**
 * Creates a job in the transaction under way, with its actor's record when it was placed as it
 * was created; a job its id or idempotency key finds is returned instead, and nothing written.
 */
export const createJobIn = (
  dbs: Databases,
  job: Job,
  placed?: PreparedRecord,
): Either.Either<CreateResult, StoreError> => {
  const key = job.spec.idempotencyKey;
  const existingId = (key !== undefined ? dbs.idempotency.get(key) : undefined) ?? job.id;
  return readJob(dbs, existingId, "jobs.create").pipe(
    Either.map((existing) => {
      if (existing !== undefined) return { job: existing, created: false };
      writeNewJob(dbs, job);
      if (placed !== undefined) writeRecord(dbs, placed);
      return { job, created: true };
    }),
  );
};

/** The most records (and staged jobs) a commit takes on the main thread when nothing else writes. */
const smallRound = 32;

export const makeLmdbSnapshotStore = (
  dbs: Databases,
  durable: Durable,
  quarantine: Quarantine,
): SnapshotStore => {
  const decoded = (operation: string, u: unknown) =>
    Effect.mapError(decodeSnapshotRecord(u), storeError(operation));

  return {
    // lmdb-js runs write transactions one at a time, in the order they were asked for.
    ordered: true,
    stages: true,
    saveBatch: (records, jobs = []) =>
      Effect.try({
        // A malformed record fails here, before anything is written.
        try: () => ({
          prepared: records.map(prepareRecord),
          placed: jobs.map((s) => (s.record === undefined ? undefined : prepareRecord(s.record))),
        }),
        catch: storeError("snapshots.saveBatch"),
      }).pipe(
        Effect.flatMap(({ prepared, placed }) => {
          const write = () => {
            for (const p of prepared) writeRecord(dbs, p);
            // One whose existing row cannot be read is left without a result: its creator
            // learns why by creating it the usual way.
            jobs.forEach((s, i) => {
              const r = createJobIn(dbs, s.job, placed[i]);
              if (Either.isRight(r)) s.result = r.right;
            });
          };
          // A small round while nothing else is written commits on the main thread: the write
          // thread's two hops cost more than the commit (durable.ts), and what waits for this
          // commit (a pipeline's next step, a lone job's acknowledgement) waits for them.
          const small = prepared.length + jobs.length <= smallRound;
          return durable("snapshots.saveBatch", durable.transaction(write, small));
        }),
      ),
    load: (address) =>
      Effect.suspend(() => {
        const u = dbs.snapshots.get(address);
        return u === undefined ? Effect.succeed(undefined) : decoded("snapshots.load", u);
      }),
    loadActive: (kind) =>
      Effect.suspend(() => {
        const found: unknown[] = [];
        for (const [, address] of dbs.snapshotsActive.getKeys({
          start: [kind, ""],
          end: [kind, "\uffff"],
        })) {
          const u = dbs.snapshots.get(address);
          if (u !== undefined) found.push(u);
        }
        if (kind === "job") {
          for (const id of dbs.jobsOpen.getKeys({})) {
            const u = dbs.snapshots.get(jobAddressOf(id)) as SnapshotRecord | undefined;
            if (u !== undefined && !u.done) found.push(u);
          }
        }
        return decodeActive(quarantine, found);
      }),
  };
};
