/**
 * Forgetting workers, so the list does not grow with every agent that ever connected.
 *
 * A worker is forgotten when it is `lost` and its agent has not come back (a lost worker has
 * handed its jobs back already: nothing depends on it), or `offline` (it drained and left).
 * Forgetting ends its actor (`forget`: lost → offline, which takes it out of the scheduler) and
 * removes its record. The supervisor forgets them once they have been gone for the retention
 * period (`workerRetentionMs`); `POST /workers/prune` (`hodei workers prune`) forgets them now.
 * An agent that comes back afterwards simply registers again.
 */
import { Effect } from "effect";
import type { WorkerInfo } from "../domain/worker.ts";
import type { Store, StoreError } from "../persistence/index.ts";
import { workerAddress, type SupervisorKinds } from "./kinds.ts";
import type { ActorSystem } from "../runtime/system.ts";

export interface PruneDeps {
  readonly store: Store;
  readonly system: ActorSystem<SupervisorKinds>;
}

/** Where a worker is, for pruning: gone (lost or offline) since when, or still around. */
const goneSince = (
  snapshot:
    { readonly value: unknown; readonly context: { readonly history: unknown } } | undefined,
  info: WorkerInfo,
): number | undefined => {
  // No actor at all: a record left from before its actor was ever committed.
  if (snapshot === undefined) return info.lastHeartbeatAt;
  if (snapshot.value !== "lost" && snapshot.value !== "offline") return undefined;
  const history = snapshot.context.history as ReadonlyArray<readonly [string, number]>;
  return history.at(-1)?.[1] ?? info.lastHeartbeatAt;
};

/**
 * Forgets every lost or offline worker gone since before `goneBefore` (every one, without it);
 * returns their ids.
 */
export const makeWorkerPruner =
  ({ store, system }: PruneDeps) =>
  (goneBefore?: number): Effect.Effect<ReadonlyArray<string>, StoreError> =>
    Effect.gen(function* () {
      const pruned: string[] = [];
      for (const info of yield* store.workers.list()) {
        const address = workerAddress(info.id);
        const snapshot = yield* system.snapshot(address);
        const since = goneSince(snapshot, info);
        if (since === undefined || (goneBefore !== undefined && since >= goneBefore)) continue;
        if (snapshot?.value === "lost") {
          yield* system.ask(address, { type: "forget", at: system.now() }).pipe(Effect.ignore);
        }
        yield* store.workers.remove(info.id);
        pruned.push(info.id);
      }
      return pruned;
    });
