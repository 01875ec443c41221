/** In-memory ScheduleStore: the encoded records in a map, decoded when read as the others do. */
import { Effect } from "effect";
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

export const makeMemoryScheduleStore = (quarantine: Quarantine): ScheduleStore => {
  const rows = new Map<string, unknown>();
  return {
    create: (record) =>
      Effect.suspend(() => {
        const name = record.spec.name;
        if (rows.has(name)) return Effect.fail(scheduleExists(name));
        rows.set(name, encodeSchedule(record));
        return Effect.void;
      }),
    get: (name) =>
      Effect.suspend((): Effect.Effect<ScheduleRecord, NotFound | StoreError> => {
        const row = rows.get(name);
        return row === undefined
          ? Effect.fail(new NotFound({ kind: "schedule", id: name }))
          : decodeSchedule("schedules.get", row);
      }),
    list: () =>
      Effect.forEach(
        [...rows].sort(([a], [b]) => (a < b ? -1 : 1)),
        ([name, row]) =>
          skipCorrupt(quarantine, "schedule", name, decodeSchedule("schedules.list", row)),
      ).pipe(Effect.map(present)),
    update: (records) =>
      Effect.sync(() => {
        for (const r of records) {
          if (rows.has(r.spec.name)) rows.set(r.spec.name, encodeSchedule(r));
        }
      }),
    remove: (name) =>
      Effect.suspend(() =>
        rows.delete(name) ? Effect.void : Effect.fail(new NotFound({ kind: "schedule", id: name })),
      ),
  };
};
