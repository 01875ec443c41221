/** LMDB QueueStore: each queue's settings under its name (`queues`), decoded when read back. */
import { Effect, Schema } from "effect";
import { QueueSettings } from "../../domain/queue.ts";
import { storeError } from "../errors.ts";
import type { QueueStore } from "../queues.ts";
import type { Durable } from "./durable.ts";
import type { Databases } from "./layout.ts";

const decode = Schema.decodeUnknown(QueueSettings);

export const makeLmdbQueueStore = (dbs: Databases, durable: Durable): QueueStore => ({
  put: (s) => durable("queues.put", () => dbs.queues.put(s.name, s)).pipe(Effect.asVoid),
  list: () =>
    Effect.suspend(() =>
      Effect.forEach([...dbs.queues.getRange({})], ({ value }) =>
        Effect.mapError(decode(value), storeError("queues.list")),
      ),
    ),
});
