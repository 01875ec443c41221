/**
 * When an LMDB write counts as done. lmdb-js commits on its write thread and, with overlapping
 * sync (its default on Linux), resolves a write when the commit is visible, then flushes it to
 * disk while the next transaction is already being written. A commit that is visible but not
 * flushed survives the process dying (the pages are in the OS cache), not the machine dying.
 *
 * `flush: true` (the default) waits for the flush too: what "acknowledged when durable" means.
 * `flush: false` trades a power loss's last commits for latency.
 *
 * A write handed to the write thread costs two thread hops (to run the transaction, to hear it
 * committed): about 0.6 ms here, against 0.3 ms for the same commit made on the main thread.
 * `transaction` commits a small write on the main thread when nothing else is being written (so
 * it never waits for the write lock behind another commit): what a single job submitted to an
 * idle supervisor does, and a small round of actor records (snapshots.ts: a pipeline's next
 * step, a lone job's result). Under load, writes overlap and take the write thread.
 *
 * Every write goes through here, so here is where the store learns its health: a commit that
 * fails (a full disk, an I/O error: commit-errors.ts) fails its writes with a StoreError naming
 * the real cause and marks the store failing; the next commit that succeeds marks it healthy.
 */
import { Effect } from "effect";
import type { RootDatabase } from "lmdb";
import { storeError, type StoreError } from "../errors.ts";
import { describeCause, type HealthTracker } from "../health.ts";
import { commitCause, isCommitFailure } from "./commit-errors.ts";

export interface Durable {
  <T>(operation: string, write: () => Promise<T>): Effect.Effect<T, StoreError>;
  /** The same, as a promise: for a group commit's own batches. */
  readonly promise: <T>(write: () => Promise<T>) => Promise<T>;
  /**
   * The write of one transaction, for `durable` or `promise`: on the main thread when it is
   * `small` and no write is in flight, else on the write thread. Decided when called.
   */
  readonly transaction: <T>(transaction: () => T, small: boolean) => () => Promise<T>;
}

export const makeDurable = (root: RootDatabase, flush: boolean, health: HealthTracker): Durable => {
  let inFlight = 0;
  /** Flushes waited for: failed at once when a commit fails (theirs may never be confirmed). */
  const waiting = new Set<(e: Error) => void>();
  const promise = async <T>(write: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      const written = write();
      // This commit's flush, taken now: `root.flushed` later would be the flush of whatever
      // commit is the latest then, and the flush of a commit that failed never comes.
      const flushed = flush ? flushOf(root, waiting) : undefined;
      flushed?.catch(() => {}); // awaited below only if the commit succeeds
      const result = await written;
      if (flushed !== undefined) await flushed;
      health.succeeded();
      return result;
    } catch (e) {
      // A failed commit; anything else (a bad record, a conflict) says nothing of the store.
      if (!isCommitFailure(e) && !isIoError(e) && !isFlushTimeout(e)) throw e;
      const cause = await commitCause(e);
      health.failed(`the LMDB commit failed: ${describeCause(cause)}`);
      for (const fail of [...waiting]) fail(new Error(`${flushUnconfirmed}: a commit failed`));
      throw cause;
    } finally {
      inFlight--;
    }
  };
  const transaction = <T>(t: () => T, small: boolean): (() => Promise<T>) =>
    small && inFlight === 0
      ? () => Promise.resolve(root.transactionSync(t))
      : () => root.transaction(t);
  const durable = <T>(operation: string, write: () => Promise<T>) =>
    Effect.tryPromise({
      try: () => promise(write),
      catch: storeError(operation),
    });
  return Object.assign(durable, { promise, transaction });
};

/** How long a commit's flush may take before the write is failed rather than waited for. */
const flushTimeoutMs = 30_000;

const flushUnconfirmed = "the flush to disk was not confirmed";

/**
 * The flush of the commit just queued. lmdb-js never settles the flush of a commit when a
 * commit around it fails: such a wait is failed as soon as a commit fails (or, at the latest,
 * after `flushTimeoutMs`). The write then counts as failed, and is retried like any other.
 */
const flushOf = (root: RootDatabase, waiting: Set<(e: Error) => void>): Promise<void> =>
  new Promise((resolve, reject) => {
    const settle = (e?: Error) => {
      clearTimeout(timer);
      waiting.delete(fail);
      if (e === undefined) resolve();
      else reject(e);
    };
    const fail = (e: Error) => settle(e);
    const timer = setTimeout(
      () => settle(new Error(`${flushUnconfirmed} within ${flushTimeoutMs} ms`)),
      flushTimeoutMs,
    );
    timer.unref();
    waiting.add(fail);
    void root.flushed.then(() => settle());
  });

/** An error from the system (lmdb-js gives errno as `code`: EIO 5, ENOSPC 28, EFBIG 27...). */
const isIoError = (e: unknown): boolean =>
  e instanceof Error && typeof (e as { code?: unknown }).code === "number";

const isFlushTimeout = (e: unknown): boolean =>
  e instanceof Error && e.message.startsWith(flushUnconfirmed);
