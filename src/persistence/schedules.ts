/**
 * Port: the cron schedules (domain/schedule.ts) and where each has got to. Records are written
 * encoded (`encodeSchedule`) and decoded with their schema when read back; one the schema
 * refuses is quarantined by `list` and fails `get` with the reason.
 *
 * `create` refuses a name already taken (Conflict); `update` writes only schedules that still
 * exist, so a firing that finishes after a delete never brings its schedule back.
 */
import { Effect, Schema } from "effect";
import { Conflict, type NotFound } from "../domain/errors.ts";
import { ScheduleRecord, ScheduleSpec } from "../domain/schedule.ts";
import { storeError, type StoreError } from "./errors.ts";

export interface ScheduleStore {
  readonly create: (record: ScheduleRecord) => Effect.Effect<void, Conflict | StoreError>;
  readonly get: (name: string) => Effect.Effect<ScheduleRecord, NotFound | StoreError>;
  /** Every schedule, by name. */
  readonly list: () => Effect.Effect<ReadonlyArray<ScheduleRecord>, StoreError>;
  /** Writes each record whose schedule still exists, in one commit. */
  readonly update: (records: ReadonlyArray<ScheduleRecord>) => Effect.Effect<void, StoreError>;
  readonly remove: (name: string) => Effect.Effect<void, NotFound | StoreError>;
}

const encodeSpec = Schema.encodeSync(ScheduleSpec);
const encodeState = Schema.encodeSync(ScheduleRecord.omit("spec"));
/** Each spec's encoded form: a spec is immutable, and every pass writes every fired record. */
const encodedSpecs = new WeakMap<ScheduleSpec, unknown>();

/**
 * The stored (JSON) form of a record. Its spec is encoded once per spec object, not at every
 * write: encoding checks it again (its cron expression parsed, its time zone looked up), which
 * at one write per schedule per second was most of a pass's time.
 */
export const encodeSchedule = (r: ScheduleRecord): unknown => {
  let spec = encodedSpecs.get(r.spec);
  if (spec === undefined) {
    spec = encodeSpec(r.spec);
    encodedSpecs.set(r.spec, spec);
  }
  return { spec, ...encodeState(r) };
};

const decode = Schema.decodeUnknown(ScheduleRecord, { onExcessProperty: "error" });

export const decodeSchedule = (operation: string, u: unknown) =>
  Effect.mapError(decode(u), storeError(operation));

export const scheduleExists = (name: string) =>
  new Conflict({ message: `schedule ${name} already exists` });
