import { describe, expect, it } from "@effect/vitest";
import { Effect, Either, Exit, Fiber, Scope } from "effect";
import { BusClosed, defineTopic, makeMemoryBus, unsafeMakeMemoryBus } from "../src/bus/index.ts";

const ticks = defineTopic<number>("ticks", { capacity: 1 });

/** Lets forked fibers run until `ready` holds; a bounded number of scheduler turns, no clock. */
const settle = (ready: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 100 && !ready(); i++) yield* Effect.yieldNow();
    expect(ready()).toBe(true);
  });

/** White-box: the adapter's registered wake-ups, to prove none is left behind. */
const waitingTakers = (sub: object): number =>
  (sub as { readonly takers: ReadonlyArray<unknown> }).takers.length;

const closed = (reason: "closed" | "unsubscribed") =>
  Either.left(new BusClosed({ topic: "ticks", reason }));

describe("memory bus unsubscribe", () => {
  it.effect("closing the subscription's scope unsubscribes and discards its mailbox", () =>
    Effect.gen(function* () {
      const bus = unsafeMakeMemoryBus();
      const scope = yield* Scope.make();
      const sub = yield* Scope.extend(bus.subscribe(ticks), scope);
      yield* bus.publish(ticks, 1);
      yield* Scope.close(scope, Exit.void);
      expect(bus.stats()[0]).toMatchObject({ subscribers: 0, delivered: 1, received: 0 });
      expect([sub.closed, sub.size]).toEqual([true, 0]);
      expect(yield* Effect.either(sub.take)).toEqual(closed("unsubscribed"));
      yield* sub.unsubscribe; // idempotent
      yield* bus.publish(ticks, 2); // nobody left: never waits
    }),
  );

  it.scoped("wakes a waiting taker with BusClosed and leaves no listener", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(ticks);
      const taker = yield* Effect.fork(Effect.either(sub.take));
      yield* settle(() => waitingTakers(sub) === 1);
      yield* sub.unsubscribe;
      expect(yield* Fiber.join(taker)).toEqual(closed("unsubscribed"));
      expect(waitingTakers(sub)).toBe(0);
    }),
  );

  it.scoped("an interrupted taker unregisters itself", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(ticks);
      const taker = yield* Effect.fork(sub.awaitMessages);
      yield* settle(() => waitingTakers(sub) === 1);
      yield* Fiber.interrupt(taker);
      expect(waitingTakers(sub)).toBe(0);
      yield* bus.publish(ticks, 1);
      expect(yield* sub.take).toBe(1);
    }),
  );
});

describe("memory bus close", () => {
  it.effect("fails waiting publishers, lets subscribers drain, then fails them", () =>
    Effect.gen(function* () {
      const bus = unsafeMakeMemoryBus();
      const scope = yield* Scope.make();
      const live = yield* Scope.extend(bus.subscribe(ticks), scope);
      yield* bus.publish(ticks, 1);
      const publisher = yield* Effect.fork(Effect.either(bus.publish(ticks, 2)));
      yield* settle(() => bus.stats()[0]?.waitingPublishers === 1);
      yield* bus.close;
      expect(yield* Fiber.join(publisher)).toEqual(closed("closed"));
      expect(bus.stats()[0]?.waitingPublishers).toBe(0);
      // What was delivered before the close is still received, then the end is signalled.
      expect(yield* live.take).toBe(1);
      expect(yield* Effect.either(live.take)).toEqual(closed("closed"));
      yield* Scope.close(scope, Exit.void);
      expect(bus.stats()[0]?.subscribers).toBe(0);
    }),
  );

  it.scoped("wakes waiting subscribers", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(ticks);
      const taker = yield* Effect.fork(Effect.either(sub.takeUpTo(5)));
      yield* settle(() => waitingTakers(sub) === 1);
      yield* bus.close;
      expect(yield* Fiber.join(taker)).toEqual(closed("closed"));
      expect(waitingTakers(sub)).toBe(0);
    }),
  );

  it.scoped("refuses publishes afterwards and hands out closed subscriptions", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      yield* bus.close;
      yield* bus.close; // idempotent
      expect(bus.tryPublish(ticks, 1)).toBe(false);
      expect(yield* Effect.either(bus.publish(ticks, 1))).toEqual(closed("closed"));
      expect(yield* Effect.either(bus.publishBatch(ticks, [1]))).toEqual(closed("closed"));
      const sub = yield* bus.subscribe(ticks);
      expect(sub.closed).toBe(true);
      expect(yield* Effect.either(sub.awaitMessages)).toEqual(closed("closed"));
    }),
  );

  it.effect("happens when the scope of makeMemoryBus closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make();
      const bus = yield* Scope.extend(makeMemoryBus, scope);
      const sub = yield* Scope.extend(bus.subscribe(ticks), scope);
      const taker = yield* Effect.fork(Effect.either(sub.take));
      yield* settle(() => waitingTakers(sub) === 1);
      yield* Scope.close(scope, Exit.void);
      expect(Either.isLeft(yield* Fiber.join(taker))).toBe(true);
      expect(bus.tryPublish(ticks, 1)).toBe(false);
    }),
  );
});
