/** PostgreSQL QueueStore: one row per queue (migration 0004_queues), decoded when read back. */
import { Effect, Schema } from "effect";
import type { Kysely } from "kysely";
import { QueueSettings } from "../../domain/queue.ts";
import { storeError } from "../errors.ts";
import type { QueueStore } from "../queues.ts";
import type { Database } from "./tables.ts";

const decode = Schema.decodeUnknown(QueueSettings);

export const makePostgresQueueStore = (
  db: Kysely<Database>,
  committed: () => void,
): QueueStore => ({
  put: (s) =>
    Effect.tryPromise({
      try: () => {
        committed();
        return db
          .insertInto("queues")
          .values({ name: s.name, settings: JSON.stringify(s) })
          .onConflict((oc) => oc.column("name").doUpdateSet({ settings: JSON.stringify(s) }))
          .execute();
      },
      catch: storeError("queues.put"),
    }).pipe(Effect.asVoid),
  list: () =>
    Effect.tryPromise({
      try: () => db.selectFrom("queues").select("settings").orderBy("name").execute(),
      catch: storeError("queues.list"),
    }).pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (r) => Effect.mapError(decode(r.settings), storeError("queues.list"))),
      ),
    ),
});
