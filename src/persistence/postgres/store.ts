/**
 * The PostgreSQL Store: for production, and for several supervisors' worth of data in one place.
 * Opening connects a pool, refuses a schema that is not ours, and migrates (open.ts); every
 * port then runs on the same pool.
 *
 * Options (defaults): `connectionString` (required), `schema` ("hodei"), `poolSize` (8), plus
 * the shared StoreOptions (log cap, group commit size).
 */
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { terminalJobStates } from "../../domain/job-state.ts";
import { storeError, type StoreError, type StoreUnusable } from "../errors.ts";
import { keepProbing, makeHealthTracker } from "../health.ts";
import { deadLetterStates, StoreService, type Store } from "../index.ts";
import { normalizeStoreOptions, type StoreOptions } from "../options.ts";
import { makePostgresCredentialStore } from "./credentials.ts";
import { makePostgresQueueStore } from "./queues.ts";
import { makeInsertJobs, makePostgresJobStore } from "./jobs.ts";
import { makePostgresLogStore } from "./logs.ts";
import { openPostgres } from "./open.ts";
import { makePostgresPipelineStore, makePostgresWorkerStore } from "./registry.ts";
import { makePostgresScheduleStore } from "./schedules.ts";
import { makePostgresSnapshotStore } from "./snapshots.ts";
import { Quarantine } from "../quarantine.ts";

export interface PostgresStoreOptions extends StoreOptions {
  readonly connectionString: string;
  readonly schema?: string;
  readonly poolSize?: number;
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;
/** Finished jobs purged per statement. */
const purgeChunk = 1000;

export const openPostgresStore = (
  options: PostgresStoreOptions,
): Effect.Effect<Store, StoreUnusable> =>
  Effect.gen(function* () {
    const { logCap, maxBatch } = normalizeStoreOptions(options);
    const schema = options.schema ?? "hodei";
    if (!schemaName.test(schema)) {
      return yield* Effect.dieMessage(
        `store option schema: expected a lowercase SQL identifier (letters, digits, _), got ${JSON.stringify(schema)}`,
      );
    }
    const health = makeHealthTracker();
    const { db, lock } = yield* openPostgres({
      connectionString: options.connectionString,
      schema,
      poolSize: options.poolSize ?? 8,
      health,
    });
    // While queries fail and nothing else runs one: a trivial query says when the server is back.
    const stopProbing = keepProbing(health, () => sql`select 1`.execute(db));
    let commits = 0;
    const committed = () => void commits++;
    const terminal = sql.join(terminalJobStates.map((s) => sql.lit(s)));
    const t = (name: string) => sql.table(`${schema}.${name}`);

    const deadLetters = sql.join([...deadLetterStates].map((s) => sql.lit(s)));
    const purgeJobs = (
      before: number,
      failedBefore: number,
      total = 0,
    ): Effect.Effect<number, StoreError> =>
      Effect.tryPromise({
        try: () => {
          committed();
          return sql<{ n: number }>`
            with gone as (
              delete from ${t("jobs")} where id in (
                select id from ${t("job_status")} where state in (${terminal})
                  and updated_at < case when state in (${deadLetters}) then ${failedBefore}::bigint else ${before}::bigint end
                order by updated_at limit ${purgeChunk})
              returning id),
            chunks as (delete from ${t("log_chunks")} where job_id in (select id from gone)),
            heads as (delete from ${t("log_heads")} where job_id in (select id from gone)),
            snaps as (delete from ${t("snapshots")} where address in (select 'job/' || id from gone))
            select count(*)::int as n from gone`.execute(db);
        },
        catch: storeError("store.purgeFinished"),
      }).pipe(
        Effect.flatMap(({ rows }) => {
          const n = rows[0]?.n ?? 0;
          return n < purgeChunk
            ? Effect.succeed(total + n)
            : purgeJobs(before, failedBefore, total + n);
        }),
      );

    const quarantine = new Quarantine();
    const store: Store = {
      jobs: makePostgresJobStore(db, schema, maxBatch, committed, quarantine),
      snapshots: makePostgresSnapshotStore(
        db,
        schema,
        committed,
        quarantine,
        makeInsertJobs(schema, () => {}),
      ),
      logs: makePostgresLogStore(db, schema, logCap, maxBatch, committed),
      pipelines: makePostgresPipelineStore(db, committed, quarantine),
      workers: makePostgresWorkerStore(db, committed),
      credentials: makePostgresCredentialStore(db, committed),
      queues: makePostgresQueueStore(db, committed),
      schedules: makePostgresScheduleStore(db, schema, committed, quarantine),
      purgeFinished: (before, failedBefore = before) =>
        Effect.gen(function* () {
          const jobs = yield* purgeJobs(before, failedBefore);
          const runs = yield* Effect.tryPromise({
            try: () => {
              committed();
              return db
                .deleteFrom("pipeline_runs")
                .where("state", "<>", "running")
                .where("updated_at", "<", before)
                .executeTakeFirst();
            },
            catch: storeError("store.purgeFinished"),
          });
          return { jobs, runs: Number(runs.numDeletedRows) };
        }),
      stats: () => ({ commits }),
      health: health.get,
      quarantine,
      close: Effect.promise(async () => {
        stopProbing();
        await db.destroy();
        await lock.release();
      }),
    };
    return store;
  });

/** The Store service on PostgreSQL, closed (pool ended) with the layer's scope. */
export const postgresStoreLayer = (
  options: PostgresStoreOptions,
): Layer.Layer<StoreService, StoreUnusable> =>
  Layer.scoped(
    StoreService,
    Effect.acquireRelease(openPostgresStore(options), (s) => s.close),
  );
