/** In-memory QueueStore: a map by name. */
import { Effect } from "effect";
import type { QueueSettings } from "../../domain/queue.ts";
import { byName, type QueueStore } from "../queues.ts";

export const makeMemoryQueueStore = (): QueueStore => {
  const queues = new Map<string, QueueSettings>();
  return {
    put: (s) => Effect.sync(() => void queues.set(s.name, s)),
    list: () => Effect.sync(() => [...queues.values()].sort(byName)),
  };
};
