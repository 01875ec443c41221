/**
 * PostgreSQL ScheduleStore: one row per schedule (`schedules`, migration 0005), its encoded
 * record as `record`, decoded when read back.
 */
import { Effect } from "effect";
import { sql, type Kysely } from "kysely";
import { NotFound } from "../../domain/errors.ts";
import type { ScheduleRecord } from "../../domain/schedule.ts";
import { storeError, type StoreError } from "../errors.ts";
import { present, skipCorrupt, type Quarantine } from "../quarantine.ts";
import {
  decodeSchedule,
  encodeSchedule,
  scheduleExists,
  type ScheduleStore,
} from "../schedules.ts";
import type { Database } from "./tables.ts";

const query = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: storeError(operation) });

export const makePostgresScheduleStore = (
  db: Kysely<Database>,
  schema: string,
  committed: () => void,
  quarantine: Quarantine,
): ScheduleStore => ({
  create: (record) =>
    query("schedules.create", () => {
      committed();
      const row = {
        name: record.spec.name,
        record: JSON.stringify(encodeSchedule(record)),
        updated_at: record.updatedAt,
      };
      return db
        .insertInto("schedules")
        .values(row)
        .onConflict((oc) => oc.column("name").doNothing())
        .executeTakeFirst();
    }).pipe(
      Effect.flatMap((r) =>
        Number(r.numInsertedOrUpdatedRows ?? 0n) === 1
          ? Effect.void
          : Effect.fail(scheduleExists(record.spec.name)),
      ),
    ),
  get: (name) =>
    query("schedules.get", () =>
      db.selectFrom("schedules").select("record").where("name", "=", name).executeTakeFirst(),
    ).pipe(
      Effect.flatMap((row): Effect.Effect<ScheduleRecord, NotFound | StoreError> =>
        row === undefined
          ? Effect.fail(new NotFound({ kind: "schedule", id: name }))
          : decodeSchedule("schedules.get", row.record),
      ),
    ),
  list: () =>
    query("schedules.list", () =>
      db.selectFrom("schedules").select(["name", "record"]).orderBy("name").execute(),
    ).pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (r) =>
          skipCorrupt(quarantine, "schedule", r.name, decodeSchedule("schedules.list", r.record)),
        ),
      ),
      Effect.map(present),
    ),
  update: (records) =>
    records.length === 0
      ? Effect.void
      : query("schedules.update", () => {
          committed();
          const rows = records.map((r) => ({
            name: r.spec.name,
            record: encodeSchedule(r),
            updated_at: r.updatedAt,
          }));
          // Only rows that exist are updated: a deleted schedule stays deleted.
          return sql`
            update ${sql.table(`${schema}.schedules`)} s
            set record = u.record, updated_at = u.updated_at
            from json_to_recordset(${JSON.stringify(rows)}::json)
              as u(name text, record jsonb, updated_at bigint)
            where s.name = u.name`.execute(db);
        }).pipe(Effect.asVoid),
  remove: (name) =>
    query("schedules.remove", () => {
      committed();
      return db.deleteFrom("schedules").where("name", "=", name).executeTakeFirst();
    }).pipe(
      Effect.flatMap((r) =>
        Number(r.numDeletedRows) === 1
          ? Effect.void
          : Effect.fail(new NotFound({ kind: "schedule", id: name })),
      ),
    ),
});
