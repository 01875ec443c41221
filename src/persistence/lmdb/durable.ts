/**
 * When an LMDB write counts as done. lmdb-js commits on its write thread and, with overlapping
 * sync (its default on Linux), resolves a write when the commit is visible, then flushes it to
 * disk while the next transaction is already being written. A commit that is visible but not
 * flushed survives the process dying (the pages are in the OS cache), not the machine dying.
 *
 * `flush: true` (the default) waits for the flush too: what "acknowledged when durable" means.
 * `flush: false` trades a power loss's last commits for latency.
 */
import { Effect } from "effect";
import type { RootDatabase } from "lmdb";
import { StoreError } from "../errors.ts";

export interface Durable {
  <T>(operation: string, write: () => Promise<T>): Effect.Effect<T, StoreError>;
  /** The same, as a promise: for a group commit's own batches. */
  readonly promise: <T>(write: () => Promise<T>) => Promise<T>;
}

export const makeDurable = (root: RootDatabase, flush: boolean): Durable => {
  const promise = async <T>(write: () => Promise<T>): Promise<T> => {
    const result = await write();
    if (flush) await root.flushed;
    return result;
  };
  const durable = <T>(operation: string, write: () => Promise<T>) =>
    Effect.tryPromise({
      try: () => promise(write),
      catch: (cause) =>
        cause instanceof StoreError ? cause : new StoreError({ operation, cause }),
    });
  return Object.assign(durable, { promise });
};
