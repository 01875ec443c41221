/**
 * Hodei's snapshot store: the runtime's port (src/runtime/snapshot-store.ts) with the jobs a
 * commit may create staged in it, and the checks a record read back from a store passes.
 *
 * Records of kind "job" do more in the persistent adapters: the job's queryable status (state,
 * attempt, worker, result, transitions) is derived from the snapshot and written in the same
 * transaction, so one commit makes both the actor's state and what the API lists durable.
 *
 * A commit may also create jobs (`StagedJob`): the jobs a pipeline run's step started, created
 * in the transaction that records the run's state, so that neither is durable without the
 * other (a step key the run gave out is never lost while its job exists, and the reverse).
 */
import { Effect, Schema } from "effect";
import type { ParseResult } from "effect";
import type { Job } from "../domain/job.ts";
import type { SnapshotRecord, SnapshotStore as Port } from "../runtime/snapshot-store.ts";
import type { CreateResult } from "./jobs.ts";
import { CorruptRecord, type Quarantine } from "./quarantine.ts";

export { StoreError } from "./errors.ts";
export type { PersistedSnapshot, SnapshotRecord } from "../runtime/snapshot-store.ts";

/**
 * A job to create in a commit of records, as `JobStore.create` would (its id or idempotency
 * key finding an existing job creates nothing); `record` is its actor's, when it was placed as
 * it was created. The commit sets `result`.
 */
export interface StagedJob {
  readonly job: Job;
  readonly record?: SnapshotRecord;
  result?: CreateResult;
}

/** Hodei's snapshot stores: what they `stage` with a commit's records is jobs to create. */
export type SnapshotStore = Port<StagedJob>;

/** A record as read back from a store: checked before the runtime restores an actor from it. */
export const SnapshotRecordSchema = Schema.Struct({
  address: Schema.String,
  kind: Schema.String,
  version: Schema.String,
  snapshot: Schema.Struct(
    { status: Schema.String, value: Schema.Unknown, context: Schema.Unknown },
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  ),
  deadline: Schema.NullOr(Schema.Number),
  done: Schema.Boolean,
}).annotations({ identifier: "SnapshotRecord" });

const decodeWithSchema = Schema.decodeUnknown(SnapshotRecordSchema);
const recordKeys = new Set(["address", "kind", "version", "snapshot", "deadline", "done"]);

/**
 * A record of the usual shape as it is (what the schema answers for it, checked by hand: every
 * actor loaded passes here); anything else goes through the schema.
 */
const plainRecord = (u: unknown): SnapshotRecord | undefined => {
  if (typeof u !== "object" || u === null || Object.getPrototypeOf(u) !== Object.prototype)
    return undefined;
  const r = u as Record<string, unknown>;
  const keys = Object.keys(r);
  if (keys.length !== recordKeys.size || !keys.every((k) => recordKeys.has(k))) return undefined;
  const s = r["snapshot"] as Record<string, unknown> | null;
  const ok =
    typeof r["address"] === "string" &&
    typeof r["kind"] === "string" &&
    typeof r["version"] === "string" &&
    (r["deadline"] === null || typeof r["deadline"] === "number") &&
    typeof r["done"] === "boolean" &&
    typeof s === "object" &&
    s !== null &&
    Object.getPrototypeOf(s) === Object.prototype &&
    typeof s["status"] === "string" &&
    Object.hasOwn(s, "value") &&
    Object.hasOwn(s, "context");
  return ok ? (u as SnapshotRecord) : undefined;
};

export const decodeSnapshotRecord = (
  u: unknown,
): Effect.Effect<SnapshotRecord, ParseResult.ParseError> => {
  const plain = plainRecord(u);
  return plain === undefined ? decodeWithSchema(u) : Effect.succeed(plain);
};

/**
 * The stored records of a recovery, decoded: one the schema refuses is put in quarantine and
 * left out (quarantine.ts), so the others recover.
 */
export const decodeActive = (
  quarantine: Quarantine,
  stored: ReadonlyArray<unknown>,
): Effect.Effect<ReadonlyArray<SnapshotRecord>> =>
  Effect.forEach(stored, (u) =>
    decodeSnapshotRecord(u).pipe(
      Effect.catchAll((e) =>
        Effect.sync(() => {
          const address = (u as { address?: unknown } | null)?.address;
          quarantine.add(
            new CorruptRecord({ kind: "snapshot", id: String(address), reason: e.message }),
          );
          return undefined;
        }),
      ),
    ),
  ).pipe(Effect.map((rs) => rs.filter((r): r is SnapshotRecord => r !== undefined)));
