/**
 * Port: the settings of named queues (domain/queue.ts) set by the API, the CLI or the config
 * file — paused, concurrency, rate limit — so that a queue paused during an incident stays
 * paused across a restart. One record per queue that was ever set; a queue never set has the
 * defaults and no record.
 */
import type { Effect } from "effect";
import type { QueueSettings } from "../domain/queue.ts";
import type { StoreError } from "./errors.ts";

export interface QueueStore {
  /** Writes a queue's settings, new or replacing the ones stored. */
  readonly put: (settings: QueueSettings) => Effect.Effect<void, StoreError>;
  /** Every stored queue's settings, by name. */
  readonly list: () => Effect.Effect<ReadonlyArray<QueueSettings>, StoreError>;
}

export const byName = (a: QueueSettings, b: QueueSettings): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
