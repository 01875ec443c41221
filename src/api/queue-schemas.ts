/** Answers and bodies of the queue routes (`hodei queues`); settings are domain/queue.ts's. */
import { Schema } from "effect";
import { QueueSettings, QueueSettingsPatch } from "../domain/queue.ts";

export { QueueSettingsPatch };

const count = (description: string) =>
  Schema.Number.pipe(Schema.int(), Schema.nonNegative()).annotations({ description });

export const QueueView = Schema.Struct({
  ...QueueSettings.fields,
  queued: count("jobs waiting in the queue (its depth)"),
  running: count("jobs of the queue holding a worker (scheduled, running, cancelling)"),
  rateLimited: count("queued jobs a rate limit (the queue's or a key's) holds now"),
}).annotations({ identifier: "Queue" });

export const QueueList = Schema.Struct({ queues: Schema.Array(QueueView) });

/**
 * Any string: the name is checked by the handler, so a malformed one is a 400 naming the
 * rule, not a 404 (a well-formed name is always a queue, with the defaults if never set).
 */
export const QueueNamePath = Schema.Struct({
  name: Schema.String.annotations({ description: "the queue's name" }),
});
