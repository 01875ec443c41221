/**
 * The in-memory bus adapter: one process, messages passed by reference, no serialisation.
 *
 * Topics are created on first use (publish, publisher or subscribe) from the token's options.
 * Two tokens with the same name must carry the same options: silently keeping either one would
 * give a subscriber a capacity or overflow policy that its author never asked for.
 *
 * The adapter starts no fiber and installs no listener of its own: all waiting is done by the
 * caller's fiber, registered in an array and removed again on wake-up, interruption or close.
 * So unsubscribing and closing leave nothing behind.
 *
 * `makeMemoryBus` ties the bus to a Scope, whose closing closes the bus; `layer` provides it as
 * the `BusService`. `unsafeMakeMemoryBus` is for callers that manage closing themselves.
 */
import { Effect, Layer } from "effect";
import type { Scope } from "effect";
import { BusService } from "./port.ts";
import type { Bus, BusClosed, Publisher, Subscription, TopicStats } from "./port.ts";
import { Hub } from "./hub.ts";
import { sameDefinition, validateCapacity } from "./topic.ts";
import type { Message, SubscribeOptions, Topic } from "./topic.ts";

class MemoryBus implements Bus {
  private readonly hubs = new Map<string, Hub<unknown>>();
  private closed = false;

  private hub<A>(topic: Topic<A>): Hub<A> {
    const found = this.hubs.get(topic.name) as Hub<A> | undefined;
    if (found !== undefined) {
      if (found.topic !== topic && !sameDefinition(found.topic, topic)) {
        throw new TypeError(
          `bus: topic ${topic.name} is defined twice with different options ` +
            `(capacity ${found.topic.capacity}/${topic.capacity}, ` +
            `overflow ${found.topic.overflow}/${topic.overflow})`,
        );
      }
      return found;
    }
    const hub = new Hub(topic);
    if (this.closed) hub.close();
    this.hubs.set(topic.name, hub as Hub<unknown>);
    return hub;
  }

  publisher<A>(topic: Topic<A>): Publisher<A> {
    return this.hub(topic);
  }

  tryPublish<A>(topic: Topic<A>, message: Message<A>): boolean {
    return this.hub(topic).tryPublish(message);
  }

  publish<A>(topic: Topic<A>, message: Message<A>): Effect.Effect<void, BusClosed> {
    return Effect.suspend(() => this.hub(topic).publish(message));
  }

  publishBatch<A>(
    topic: Topic<A>,
    messages: ReadonlyArray<Message<A>>,
  ): Effect.Effect<void, BusClosed> {
    return Effect.suspend(() => this.hub(topic).publishBatch(messages));
  }

  subscribe<A>(
    topic: Topic<A>,
    options: SubscribeOptions = {},
  ): Effect.Effect<Subscription<A>, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.sync((): Subscription<A> => {
        const capacity =
          options.capacity === undefined
            ? topic.capacity
            : validateCapacity(`subscribe(${topic.name})`, options.capacity);
        return this.hub(topic).subscribe(capacity);
      }),
      (subscription) => subscription.unsubscribe,
    );
  }

  stats(): ReadonlyArray<TopicStats> {
    return Array.from(this.hubs.values(), (hub) => hub.stats());
  }

  readonly close: Effect.Effect<void> = Effect.sync(() => {
    this.closed = true;
    for (const hub of this.hubs.values()) hub.close();
  });
}

export const unsafeMakeMemoryBus = (): Bus => new MemoryBus();

/** A bus that closes with the Scope: waiting publishers and subscribers are woken, not leaked. */
export const makeMemoryBus: Effect.Effect<Bus, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(unsafeMakeMemoryBus),
  (bus) => bus.close,
);

export const layer: Layer.Layer<BusService> = Layer.scoped(BusService, makeMemoryBus);
