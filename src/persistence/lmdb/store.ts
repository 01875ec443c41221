/**
 * The LMDB Store: the default, embedded in the supervisor, one data directory (`./.hodei` unless
 * configured). See layout.ts for what is stored where, open.ts for what is refused at open.
 */
import { Effect, Layer } from "effect";
import type { StoreError, StoreUnusable } from "../errors.ts";
import { purgeCutoff, StoreService, type Store } from "../index.ts";
import { normalizeStoreOptions, type StoreOptions } from "../options.ts";
import { Quarantine } from "../quarantine.ts";
import { makeLmdbCredentialStore } from "./credentials.ts";
import { makeLmdbQueueStore } from "./queues.ts";
import { keepProbing, makeHealthTracker } from "../health.ts";
import { ignoreOrphanCommitFailures } from "./commit-errors.ts";
import { makeDurable } from "./durable.ts";
import { currentStatus, removeJob, type JobRow } from "./job-rows.ts";
import { makeLmdbJobStore } from "./jobs.ts";
import { makeLmdbLogStore } from "./logs.ts";
import { openLmdbEnvironment } from "./open.ts";
import { makeLmdbPipelineStore, makeLmdbWorkerStore } from "./registry.ts";
import { makeLmdbScheduleStore } from "./schedules.ts";
import { makeLmdbSnapshotStore } from "./snapshots.ts";

/** Where the supervisor keeps its data when nothing else is configured. */
export const defaultLmdbPath = "./.hodei";

export interface LmdbStoreOptions extends StoreOptions {
  /** The data directory, created when missing; `defaultLmdbPath` when absent. */
  readonly path?: string;
  /** Wait for each commit's flush to disk before a write returns (durable.ts). Default true. */
  readonly flush?: boolean;
}

/** Jobs purged per transaction: a retention pass never holds the write lock for long. */
const purgeChunk = 500;

export const openLmdbStore = (
  options: LmdbStoreOptions = {},
): Effect.Effect<Store, StoreUnusable> =>
  Effect.gen(function* () {
    const { logCap, maxBatch } = normalizeStoreOptions(options);
    const { root, dbs, unlock } = yield* openLmdbEnvironment(options.path ?? defaultLmdbPath);
    const health = makeHealthTracker();
    const unguard = ignoreOrphanCommitFailures();
    const durable = makeDurable(root, options.flush ?? true, health);
    // While commits fail and nothing else writes: a small write says when the disk is back.
    const stopProbing = keepProbing(health, () =>
      durable.promise(() => root.transaction(() => void dbs.meta.put("probe", Date.now()))),
    );
    const firstTxn = (root.getStats() as { lastTxnId: number }).lastTxnId;

    /**
     * Finished jobs in `purgeChunk`s, each chunk one transaction, oldest first, until the later
     * cutoff: each goes if it finished before its own (failed ones by `failedBefore`).
     */
    const purgeJobs = (
      before: number,
      failedBefore: number,
      from: readonly [number, string] | undefined = undefined,
      total = 0,
    ): Effect.Effect<number, StoreError> =>
      durable("store.purgeFinished", () =>
        root.transaction(() => {
          const end = Math.max(before, failedBefore);
          const keys = [
            ...dbs.jobsFinished.getKeys({
              ...(from !== undefined ? { start: [from[0], from[1]] } : {}),
              end: [end],
              limit: purgeChunk,
            }),
          ].filter((k) => from === undefined || k[0] !== from[0] || k[1] !== from[1]);
          let removed = 0;
          for (const key of keys) {
            const [at, id] = key;
            const row = dbs.jobs.get(id) as JobRow | undefined;
            const state = row === undefined ? undefined : currentStatus(dbs, row).state;
            if (state !== undefined && at >= purgeCutoff(state, before, failedBefore)) continue;
            if (removeJob(dbs, id)) removed++;
            void dbs.jobsFinished.remove(key);
          }
          return { last: keys.at(-1), removed };
        }),
      ).pipe(
        Effect.flatMap(({ last, removed }) =>
          last === undefined
            ? Effect.succeed(total + removed)
            : purgeJobs(before, failedBefore, last, total + removed),
        ),
      );

    const quarantine = new Quarantine();
    const store: Store = {
      jobs: makeLmdbJobStore(root, dbs, durable, maxBatch, quarantine),
      snapshots: makeLmdbSnapshotStore(dbs, durable, quarantine),
      logs: makeLmdbLogStore(root, dbs, durable, logCap),
      pipelines: makeLmdbPipelineStore(root, dbs, durable, quarantine),
      workers: makeLmdbWorkerStore(dbs, durable),
      credentials: makeLmdbCredentialStore(dbs, durable),
      queues: makeLmdbQueueStore(dbs, durable),
      schedules: makeLmdbScheduleStore(root, dbs, durable, quarantine),
      purgeFinished: (before, failedBefore = before) =>
        Effect.gen(function* () {
          const jobs = yield* purgeJobs(before, failedBefore);
          const runs = yield* durable("store.purgeFinished", () =>
            root.transaction(() => {
              let n = 0;
              for (const { key, value } of [...dbs.runs.getRange({})]) {
                const r = value as { state: string; updatedAt: number };
                if (r.state !== "running" && r.updatedAt < before) {
                  void dbs.runs.remove(key);
                  n++;
                }
              }
              return n;
            }),
          );
          return { jobs, runs };
        }),
      stats: () => ({
        commits: (root.getStats() as { lastTxnId: number }).lastTxnId - firstTxn,
      }),
      health: health.get,
      quarantine,
      close: Effect.promise(() => root.close()).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            stopProbing();
            unguard();
            unlock();
          }),
        ),
      ),
    };
    return store;
  });

/** The Store service on LMDB, closed with the layer's scope. */
export const lmdbStoreLayer = (
  options: LmdbStoreOptions = {},
): Layer.Layer<StoreService, StoreUnusable> =>
  Layer.scoped(
    StoreService,
    Effect.acquireRelease(openLmdbStore(options), (store) => store.close),
  );
