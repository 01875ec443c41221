/**
 * Writes run records after their actors' commits, coalesced: a run that changed ten times while
 * its last write was in flight is written once more, with its latest state. The record is a
 * summary (the actor's snapshot is the truth, and recovery rewrites it), so a write that fails
 * is logged and retried with the run's next change.
 *
 * A run that is still running is written `laterMs` after its change, not at once: its record
 * is only what run listings show (a run's own read, its recovery and its waiters go to its
 * actor), and a step's path should not queue behind a write of it on the store's one writer.
 * A run that ended is written at once, and `settled` writes whatever waits.
 *
 * It also tracks other work done on the runs' behalf (job submits), so `settled` can wait for
 * everything a pipeline started to have reached the store.
 */
import { Effect } from "effect";
import type { StoreError } from "../persistence/errors.ts";
import type { PipelineRun } from "../persistence/pipelines.ts";

export const makeRunWriter = (
  read: (runId: string) => Effect.Effect<PipelineRun | undefined, StoreError>,
  write: (run: PipelineRun) => Effect.Effect<void, StoreError>,
  laterMs = 50,
) => {
  const dirty = new Set<string>();
  /** Runs changed while running, written when `later` fires. */
  const waiting = new Set<string>();
  let later: ReturnType<typeof setTimeout> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  let flushing = false;

  const track = (p: Promise<unknown>): void => {
    const tracked = p.catch(() => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const flush = Effect.gen(function* () {
    while (dirty.size > 0) {
      const ids = [...dirty];
      dirty.clear();
      yield* Effect.forEach(
        ids,
        (id) =>
          read(id).pipe(
            Effect.flatMap((run) => (run === undefined ? Effect.void : write(run))),
            Effect.catchAll((e) => Effect.logWarning(`run ${id}: record not written`, e)),
          ),
        { concurrency: 16, discard: true },
      );
    }
  });
  // Started again from its own end, so a run marked dirty meanwhile is never left unwritten.
  const kick = (): void => {
    if (flushing || dirty.size === 0) return;
    flushing = true;
    track(
      Effect.runPromise(flush).finally(() => {
        flushing = false;
        kick();
      }),
    );
  };

  const writeWaiting = (): void => {
    clearTimeout(later);
    later = undefined;
    for (const id of waiting) dirty.add(id);
    waiting.clear();
    kick();
  };

  return {
    track,
    /** `runId` changed; `ended`: it is running no more (written at once). */
    dirty: (runId: string, ended = true): void => {
      if (!ended && !dirty.has(runId)) {
        waiting.add(runId);
        later ??= setTimeout(writeWaiting, laterMs);
        return;
      }
      waiting.delete(runId);
      dirty.add(runId);
      kick();
    },
    // Until nothing waits or is in flight: a run changed meanwhile is written too.
    settled: Effect.promise(async () => {
      do {
        writeWaiting();
        await Promise.all([...inFlight]);
      } while (inFlight.size > 0 || waiting.size > 0);
    }),
  };
};
