/** LMDB ScheduleStore: each schedule's encoded record under its name (layout.ts `schedules`). */
import { Effect, Either } from "effect";
import type { RootDatabase } from "lmdb";
import { NotFound } from "../../domain/errors.ts";
import type { ScheduleRecord } from "../../domain/schedule.ts";
import type { StoreError } from "../errors.ts";
import { present, skipCorrupt, type Quarantine } from "../quarantine.ts";
import {
  decodeSchedule,
  encodeSchedule,
  scheduleExists,
  type ScheduleStore,
} from "../schedules.ts";
import type { Durable } from "./durable.ts";
import type { Databases } from "./layout.ts";

export const makeLmdbScheduleStore = (
  root: RootDatabase,
  dbs: Databases,
  durable: Durable,
  quarantine: Quarantine,
): ScheduleStore => ({
  create: (record) =>
    Effect.sync(() => encodeSchedule(record)).pipe(
      Effect.flatMap((row) =>
        durable("schedules.create", () =>
          root.transaction(() => {
            const name = record.spec.name;
            if (dbs.schedules.get(name) !== undefined) return Either.left(scheduleExists(name));
            void dbs.schedules.put(name, row);
            return Either.right(undefined);
          }),
        ),
      ),
      Effect.flatten,
    ),
  get: (name) =>
    Effect.suspend((): Effect.Effect<ScheduleRecord, NotFound | StoreError> => {
      const row = dbs.schedules.get(name);
      return row === undefined
        ? Effect.fail(new NotFound({ kind: "schedule", id: name }))
        : decodeSchedule("schedules.get", row);
    }),
  list: () =>
    Effect.suspend(() =>
      Effect.forEach([...dbs.schedules.getRange({})], ({ key, value }) =>
        skipCorrupt(quarantine, "schedule", key, decodeSchedule("schedules.list", value)),
      ),
    ).pipe(Effect.map(present)),
  update: (records) =>
    Effect.sync(() => records.map((r) => [r.spec.name, encodeSchedule(r)] as const)).pipe(
      Effect.flatMap((rows) =>
        durable("schedules.update", () =>
          root.transaction(() => {
            for (const [name, row] of rows) {
              if (dbs.schedules.get(name) !== undefined) void dbs.schedules.put(name, row);
            }
          }),
        ),
      ),
      Effect.asVoid,
    ),
  remove: (name) =>
    durable("schedules.remove", () =>
      root.transaction(() => {
        if (dbs.schedules.get(name) === undefined) return false;
        void dbs.schedules.remove(name);
        return true;
      }),
    ).pipe(
      Effect.flatMap((removed) =>
        removed ? Effect.void : Effect.fail(new NotFound({ kind: "schedule", id: name })),
      ),
    ),
});
