/**
 * Port: where actors' snapshots live between their activations and across restarts.
 *
 * A record is one actor's last committed state. `saveBatch` is one commit: the runtime groups
 * every snapshot that changed in one round of its mailboxes into a single call (group commit),
 * and performs the effects of that round only after it returns. An adapter must make the
 * whole batch durable, or fail it whole.
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
import type { StoreError } from "./errors.ts";
import type { CreateResult } from "./jobs.ts";
import { CorruptRecord, type Quarantine } from "./quarantine.ts";

export { StoreError } from "./errors.ts";

/** The JSON-able form of an XState machine snapshot. */
export interface PersistedSnapshot {
  readonly status: string;
  readonly value: unknown;
  readonly context: unknown;
  readonly [k: string]: unknown;
}

export interface SnapshotRecord {
  readonly address: string;
  readonly kind: string;
  /** The behaviour's version when the snapshot was taken. */
  readonly version: string;
  readonly snapshot: PersistedSnapshot;
  /** The actor's next timer (epoch ms), so recovery can re-arm it without decoding. */
  readonly deadline: number | null;
  /** The machine reached a final state: the actor never needs to be live again. */
  readonly done: boolean;
}

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

export interface SnapshotStore {
  /** One commit: every record, and every job of `jobs` (when the store `createsJobs`). */
  readonly saveBatch: (
    records: ReadonlyArray<SnapshotRecord>,
    jobs?: ReadonlyArray<StagedJob>,
  ) => Effect.Effect<void, StoreError>;
  /** `saveBatch` creates the jobs it is given; without it, a caller must not give any. */
  readonly createsJobs?: boolean;
  /**
   * True when calls to `saveBatch` commit in the order they were made, even while earlier ones
   * are still in flight (one writer, in order: LMDB). The runtime then starts a round's commit
   * without waiting for the one before; otherwise it runs one at a time.
   */
  readonly ordered?: boolean;
  readonly load: (address: string) => Effect.Effect<SnapshotRecord | undefined, StoreError>;
  /** Every actor of `kind` not in a final state: what recovery re-creates. */
  readonly loadActive: (kind: string) => Effect.Effect<ReadonlyArray<SnapshotRecord>, StoreError>;
}

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
