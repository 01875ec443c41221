/**
 * Named queues as the supervisor runs them: their settings come from the store (set by the API
 * or the CLI: durable, and they win) over the config file's `queues` section (a starting point
 * for a queue never set at run time) over the defaults. A change is written to the store first,
 * then handed to the scheduler, which applies it from its next pass: a pause holds every job
 * not yet placed, a resume places the held ones in their order.
 *
 * Changes are made one at a time, so two operators changing one queue at once each see their
 * change applied to the other's, not lost.
 */
import { Effect } from "effect";
import {
  applyPatch,
  queueDefaults,
  type QueueSettings,
  type QueueSettingsPatch,
} from "../domain/queue.ts";
import type { StoreError } from "../persistence/errors.ts";
import type { QueueStore } from "../persistence/queues.ts";
import type { SchedulerActor } from "./scheduler-actor.ts";

/** A queue now: its settings, and its jobs queued, holding a worker, held by a rate limit. */
export interface QueueView extends QueueSettings {
  readonly queued: number;
  readonly running: number;
  readonly rateLimited: number;
}

export interface QueueControl {
  /** The default queue, every queue with settings, and every queue with jobs, by name. */
  readonly list: () => ReadonlyArray<QueueView>;
  /** Any valid name: a queue never set nor used shows the defaults and no jobs. */
  readonly get: (name: string) => QueueView;
  readonly update: (
    name: string,
    patch: QueueSettingsPatch,
  ) => Effect.Effect<QueueView, StoreError>;
}

export const makeQueueControl = (options: {
  readonly store: QueueStore;
  readonly scheduler: SchedulerActor;
  /** The config file's settings, by queue name. */
  readonly configured: Readonly<Record<string, QueueSettingsPatch>>;
}): Effect.Effect<QueueControl, StoreError> =>
  Effect.gen(function* () {
    const { store, scheduler } = options;
    const settings = new Map<string, QueueSettings>();
    for (const [name, patch] of Object.entries(options.configured)) {
      settings.set(name, applyPatch(queueDefaults(name), patch));
    }
    for (const stored of yield* store.list()) settings.set(stored.name, stored);
    for (const s of settings.values()) scheduler.send({ type: "queue_settings", settings: s });
    const one = yield* Effect.makeSemaphore(1);

    const view = (name: string, stats: ReturnType<SchedulerActor["queueStats"]>): QueueView => {
      const s = stats.get(name);
      return {
        ...(settings.get(name) ?? queueDefaults(name)),
        queued: s?.queued ?? 0,
        running: s?.running ?? 0,
        rateLimited: s?.rateLimited ?? 0,
      };
    };

    return {
      list: () => {
        const stats = scheduler.queueStats();
        const names = [...new Set([...settings.keys(), ...stats.keys()])].sort();
        return names.map((name) => view(name, stats));
      },
      get: (name) => view(name, scheduler.queueStats()),
      update: (name, patch) =>
        one.withPermits(1)(
          Effect.gen(function* () {
            const next = applyPatch(settings.get(name) ?? queueDefaults(name), patch);
            yield* store.put(next);
            settings.set(name, next);
            scheduler.send({ type: "queue_settings", settings: next });
            return view(name, scheduler.queueStats());
          }),
        ),
    };
  });
