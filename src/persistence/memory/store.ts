/**
 * The in-memory Store: every port in maps, for tests and for embedding without durability.
 * Its snapshot commits derive job statuses like the persistent adapters, so the conformance
 * suite holds it to the same behaviour.
 */
import { Effect } from "effect";
import { storeError } from "../errors.ts";
import { makeHealthTracker } from "../health.ts";
import type { Store } from "../index.ts";
import { jobIdOfRecord, statusOfSnapshot } from "../job-status.ts";
import { normalizeStoreOptions, type StoreOptions } from "../options.ts";
import type { SnapshotRecord, SnapshotStore } from "../snapshots.ts";
import { makeMemoryCredentialStore } from "./credentials.ts";
import { makeMemoryQueueStore } from "./queues.ts";
import { makeMemoryScheduleStore } from "./schedules.ts";
import { isTerminalJobState } from "../../domain/job-state.ts";
import { createNowOf, notFinished } from "../jobs.ts";
import type { Job } from "../../domain/job.ts";
import type { Conflict, NotFound } from "../../domain/errors.ts";
import type { StoreError } from "../errors.ts";
import { makeMemoryJobStore } from "./jobs.ts";
import { Quarantine } from "../quarantine.ts";
import { makeMemoryLogStore } from "./logs.ts";
import { makeMemoryPipelineStore, makeMemoryWorkerStore } from "./registry.ts";
import { makeMemorySnapshotStore } from "./snapshots.ts";

export const makeMemoryStore = (options: StoreOptions = {}): Store => {
  const healthy = makeHealthTracker().get();
  const { logCap } = normalizeStoreOptions(options);
  const quarantine = new Quarantine();
  const jobs = makeMemoryJobStore(quarantine);
  const logs = makeMemoryLogStore(logCap);
  const pipelines = makeMemoryPipelineStore();
  const inner = makeMemorySnapshotStore();
  const snapshots: SnapshotStore = {
    load: inner.load,
    loadActive: inner.loadActive,
    stages: true,
    saveBatch: (records, staged = []) =>
      Effect.try({
        // Derived first: a malformed job snapshot fails the commit before anything is written.
        try: () => {
          for (const s of staged) if (s.record !== undefined) statusOfSnapshot(s.record);
          return records.flatMap((r) => {
            const id = jobIdOfRecord(r);
            return id === undefined ? [] : [[id, statusOfSnapshot(r)] as const];
          });
        },
        catch: storeError("snapshots.saveBatch"),
      }).pipe(
        Effect.tap(() => inner.saveBatch(records)),
        Effect.map((statuses) => {
          for (const [id, status] of statuses) jobs.applyStatus(id, status);
        }),
        Effect.zipRight(
          Effect.forEach(staged, (s) =>
            create(s.job, s.record).pipe(Effect.map((r) => void (s.result = r))),
          ),
        ),
        Effect.asVoid,
      ),
  };
  const create = (job: Job, placed: SnapshotRecord | undefined) =>
    placed === undefined
      ? jobs.create(job)
      : Effect.try({
          try: () => statusOfSnapshot(placed),
          catch: storeError("jobs.create"),
        }).pipe(
          Effect.zipRight(jobs.create(job)),
          Effect.tap((r) => (r.created ? snapshots.saveBatch([placed]) : Effect.void)),
        );
  return {
    jobs: {
      ...jobs,
      // Its status derived first: a malformed record fails the create before anything is written.
      create,
      createNow: createNowOf(create),
      reopen: (id, record) =>
        Effect.try({ try: () => statusOfSnapshot(record), catch: storeError("jobs.reopen") }).pipe(
          Effect.zipRight(jobs.get(id)),
          Effect.flatMap((job): Effect.Effect<Job, NotFound | Conflict | StoreError> =>
            isTerminalJobState(job.state)
              ? snapshots.saveBatch([record]).pipe(Effect.zipRight(jobs.get(id)))
              : Effect.fail(notFinished(id, job.state)),
          ),
        ),
      createBatch: (batch, records) =>
        Effect.try({
          try: () => records?.forEach((r) => r !== undefined && statusOfSnapshot(r)),
          catch: storeError("jobs.createBatch"),
        }).pipe(
          Effect.zipRight(jobs.createBatch(batch)),
          Effect.tap((results) => {
            const held = results.flatMap((r, i) =>
              r.created && records?.[i] !== undefined ? [records[i]] : [],
            );
            return held.length > 0 ? snapshots.saveBatch(held) : Effect.void;
          }),
        ),
    },
    logs,
    pipelines,
    workers: makeMemoryWorkerStore(),
    credentials: makeMemoryCredentialStore(),
    queues: makeMemoryQueueStore(),
    schedules: makeMemoryScheduleStore(quarantine),
    snapshots,
    purgeFinished: (before, failedBefore = before) =>
      Effect.sync(() => {
        const gone = jobs.purge(before, failedBefore);
        logs.purge(gone);
        inner.remove(gone.map((id) => `job/${id}`));
        return { jobs: gone.length, runs: pipelines.purge(before) };
      }),
    stats: () => ({ commits: jobs.commits() + inner.commits() }),
    // Memory cannot fail: always healthy.
    health: () => healthy,
    quarantine,
    close: Effect.void,
  };
};
