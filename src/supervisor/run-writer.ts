/**
 * Writes run records after their actors' commits, coalesced: a run that changed ten times while
 * its last write was in flight is written once more, with its latest state. The record is a
 * summary (the actor's snapshot is the truth, and recovery rewrites it), so a write that fails
 * is logged and retried with the run's next change.
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
) => {
  const dirty = new Set<string>();
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

  return {
    track,
    dirty: (runId: string): void => {
      dirty.add(runId);
      kick();
    },
    settled: Effect.promise(async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    }),
  };
};
