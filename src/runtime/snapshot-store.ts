/**
 * The runtime's port: where actors' snapshots live between their activations and across
 * restarts. An adapter (src/persistence/) implements it; the runtime knows nothing else of it.
 *
 * A record is one actor's last committed state. `saveBatch` is one commit: the runtime groups
 * every snapshot that changed in one round of its mailboxes into a single call (group commit),
 * and performs the effects of that round only after it returns. An adapter must make the
 * whole batch durable, or fail it whole.
 *
 * A commit may carry more than records: what the system's owner `stage`s for a round (system.ts)
 * is handed to the same `saveBatch`, for the store to write in the same transaction. The runtime
 * never looks inside it (`Staged`); a store that takes none says so by leaving `stages` unset.
 * A commit retried after a failure hands its staged items again (with those of the rounds that
 * joined it): writing one that an earlier attempt wrote must find it and write nothing twice.
 * (Hodei stages the jobs a pipeline run's step starts: persistence/snapshots.ts.)
 */
import type { Effect } from "effect";
import type { StoreError } from "../persistence/errors.ts";

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

export interface SnapshotStore<Staged = never> {
  /** One commit: every record, and everything `staged` with them (when the store `stages`). */
  readonly saveBatch: (
    records: ReadonlyArray<SnapshotRecord>,
    staged?: ReadonlyArray<Staged>,
  ) => Effect.Effect<void, StoreError>;
  /** `saveBatch` writes what is staged with its records; without it, a caller must give none. */
  readonly stages?: boolean;
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
