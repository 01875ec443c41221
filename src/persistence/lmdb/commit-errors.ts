/**
 * What a failed LMDB commit looks like from lmdb-js, and how it is kept from killing the
 * process.
 *
 * When the write thread cannot commit (the disk is full, an I/O error, the file-size limit),
 * lmdb-js rejects the transaction's promise with `Error("Commit failed (see commitError for
 * details)")`, whose `commitError` is a second promise rejected with the real error (EIO,
 * EFBIG...). It also rejects promises of its own that nobody can reach — the event-turn batch
 * it opened for that commit — and nobody handles those: Node's default for an unhandled
 * rejection is to exit. Every write of the store goes through `durable` (durable.ts), which
 * handles its own rejection; `ignoreOrphanCommitFailures` takes care of the orphans, and of
 * nothing else: any other unhandled rejection is re-thrown as Node would (when no other
 * listener has a say).
 */

const commitFailed = "Commit failed (see commitError for details)";

type CommitFailure = Error & { readonly commitError: Promise<unknown> };

export const isCommitFailure = (e: unknown): e is CommitFailure =>
  e instanceof Error &&
  e.message === commitFailed &&
  (e as { commitError?: unknown }).commitError instanceof Promise;

/** The real reason of a failed commit (the commit failure itself if it does not come soon). */
export const commitCause = async (e: unknown): Promise<unknown> => {
  if (!isCommitFailure(e)) return e;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<unknown>((resolve) => (timer = setTimeout(() => resolve(e), 200)));
  try {
    return await Promise.race([
      e.commitError.then(
        () => e,
        (real: unknown) => real,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
};

let users = 0;
const onUnhandled = (reason: unknown): void => {
  if (isCommitFailure(reason)) {
    reason.commitError.catch(() => {}); // the same failure, seen by `durable`
    return;
  }
  // Alone, this listener would otherwise make Node keep running after any unhandled rejection.
  if (process.listenerCount("unhandledRejection") === 1) throw reason;
};

/** Installs the filter while at least one LMDB store is open; returns its removal. */
export const ignoreOrphanCommitFailures = (): (() => void) => {
  if (users++ === 0) process.on("unhandledRejection", onUnhandled);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (--users === 0) process.off("unhandledRejection", onUnhandled);
  };
};
