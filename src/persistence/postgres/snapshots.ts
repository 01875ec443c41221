/**
 * PostgreSQL SnapshotStore. A `saveBatch` is one statement: a data-modifying CTE upserts every
 * snapshot of the round, and the outer `update` writes the status columns of the jobs among
 * them (derived from their snapshots, job-status.ts) and marks them held by their actor. One
 * statement is one transaction, so the snapshots and the queryable statuses commit together.
 */
import { Effect } from "effect";
import { sql, type Kysely } from "kysely";
import { storeError } from "../errors.ts";
import type { InsertJobs } from "./jobs.ts";
import { jobIdOfRecord, statusOfSnapshot } from "../job-status.ts";
import {
  decodeActive,
  decodeSnapshotRecord,
  type SnapshotRecord,
  type SnapshotStore,
} from "../snapshots.ts";
import { recordOfRow, snapshotColumns, snapshotRow, statusColumns, statusRow } from "./rows.ts";
import type { Database } from "./tables.ts";
import type { Quarantine } from "../quarantine.ts";

export const makePostgresSnapshotStore = (
  db: Kysely<Database>,
  schema: string,
  committed: () => void,
  quarantine: Quarantine,
  insertJobs: InsertJobs,
): SnapshotStore => {
  const snapshots = sql.table(`${schema}.snapshots`);
  const statuses = sql.table(`${schema}.job_status`);

  const save = async (
    db: Kysely<Database>,
    records: ReadonlyArray<SnapshotRecord>,
  ): Promise<void> => {
    if (records.length === 0) return;
    // The last record of an address wins: an upsert cannot touch one row twice in a statement.
    const latest = [...new Map(records.map((r) => [r.address, r])).values()];
    const changed = latest.flatMap((r) => {
      const id = jobIdOfRecord(r);
      return id === undefined ? [] : [statusRow(id, statusOfSnapshot(r))];
    });
    const upsert = sql`
      insert into ${snapshots} (address, kind, version, snapshot, deadline, done)
      select * from json_to_recordset(${JSON.stringify(latest.map(snapshotRow))}::json)
        as r(${snapshotColumns})
      on conflict (address) do update set kind = excluded.kind, version = excluded.version,
        snapshot = excluded.snapshot, deadline = excluded.deadline, done = excluded.done`;
    committed();
    if (changed.length === 0) {
      await upsert.execute(db);
      return;
    }
    await sql`
      with saved as (${upsert})
      update ${statuses} as j set state = s.state, attempt = s.attempt, worker_id = s.worker_id,
        result = s.result, updated_at = s.updated_at, transitions = s.transitions, held = true
      from json_to_recordset(${JSON.stringify(changed)}::json) as s(${statusColumns})
      where j.id = s.id`.execute(db);
  };

  const decoded = (operation: string) => (u: unknown) =>
    Effect.mapError(decodeSnapshotRecord(u), storeError(operation));

  return {
    stages: true,
    saveBatch: (records, jobs = []) =>
      Effect.tryPromise({
        try: async () => {
          if (jobs.length === 0) return save(db, records);
          // A malformed record of a job fails its insert, and the transaction with it.
          const results = await db.transaction().execute(async (trx) => {
            // One transaction, counted once: by `save`, or here when it has no records.
            if (records.length === 0) committed();
            await save(trx, records);
            return insertJobs(
              trx,
              jobs.map((s) => [s.job, s.record] as const),
            );
          });
          results.forEach((r, i) => (jobs[i]!.result = r));
        },
        catch: storeError("snapshots.saveBatch"),
      }),
    load: (address) =>
      Effect.tryPromise({
        try: () =>
          db.selectFrom("snapshots").selectAll().where("address", "=", address).executeTakeFirst(),
        catch: storeError("snapshots.load"),
      }).pipe(
        Effect.flatMap((row) =>
          row === undefined
            ? Effect.succeed(undefined)
            : decoded("snapshots.load")(recordOfRow(row)),
        ),
      ),
    loadActive: (kind) =>
      Effect.tryPromise({
        try: () =>
          db
            .selectFrom("snapshots")
            .selectAll()
            .where("kind", "=", kind)
            .where("done", "=", false)
            .execute(),
        catch: storeError("snapshots.loadActive"),
      }).pipe(Effect.flatMap((rows) => decodeActive(quarantine, rows.map(recordOfRow)))),
  };
};
