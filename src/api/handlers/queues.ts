/**
 * The queue routes: list and show named queues with their depth, running jobs and settings;
 * pause, resume and change their limits (admin). A malformed name is a 400 that changes
 * nothing; a well-formed name never set nor used is a queue with the defaults.
 */
import { Effect } from "effect";
import { decodeWith } from "../../domain/decode.ts";
import type { InvalidInput } from "../../domain/errors.ts";
import { QueueName, type QueueSettingsPatch } from "../../domain/queue.ts";
import type { Handlers } from "../router.ts";
import type { ApiContext } from "./context.ts";

const decodeName = decodeWith(QueueName);

const named = (name: string): Effect.Effect<string, InvalidInput> => decodeName(name);

export const queueHandlers = (
  ctx: ApiContext,
): Pick<Handlers, "listQueues" | "getQueue" | "updateQueue" | "pauseQueue" | "resumeQueue"> => {
  const { queues } = ctx.core;
  const update = (name: string, patch: QueueSettingsPatch) =>
    named(name).pipe(
      Effect.flatMap((n) => queues.update(n, patch)),
      Effect.map((q) => ({ status: 200, body: q })),
    );
  return {
    listQueues: () => Effect.sync(() => ({ status: 200, body: { queues: queues.list() } })),
    getQueue: ({ path }) =>
      Effect.map(named(path.name), (n) => ({ status: 200, body: queues.get(n) })),
    updateQueue: ({ path, payload }) => update(path.name, payload),
    pauseQueue: ({ path }) => update(path.name, { paused: true }),
    resumeQueue: ({ path }) => update(path.name, { paused: false }),
  };
};
