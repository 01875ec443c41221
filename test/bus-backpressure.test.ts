import { describe, expect, it } from "@effect/vitest";
import { Effect, Fiber, Option } from "effect";
import { defineTopic, makeMemoryBus } from "../src/bus/index.ts";
import type { Bus, Subscription } from "../src/bus/index.ts";

const numbers = defineTopic<number>("numbers", { capacity: 2 });

/** Lets forked fibers run until `ready` holds; a bounded number of scheduler turns, no clock. */
const settle = (ready: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 100 && !ready(); i++) yield* Effect.yieldNow();
    expect(ready()).toBe(true);
  });

const waiting = (bus: Bus): number => bus.stats()[0]?.waitingPublishers ?? 0;
const drainAll = (sub: Subscription<number>): Array<number> => {
  const out: Array<number> = [];
  sub.drain(Infinity, (n) => out.push(n));
  return out;
};

describe("memory bus backpressure", () => {
  it.scoped("tryPublish refuses, delivering nothing, when a mailbox is full", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const roomy = yield* bus.subscribe(numbers, { capacity: 10 });
      const tight = yield* bus.subscribe(numbers);
      const pub = bus.publisher(numbers);
      expect([pub.tryPublish(1), pub.tryPublish(2), pub.tryPublish(3)]).toEqual([
        true,
        true,
        false,
      ]);
      // All or nothing: the roomy subscriber did not get 3 either.
      expect([roomy.size, tight.size]).toEqual([2, 2]);
      expect(bus.stats()[0]).toMatchObject({ published: 2, delivered: 4 });
    }),
  );

  it.scoped("publish waits until every subscriber has room, then delivers to all", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const fast = yield* bus.subscribe(numbers);
      const slow = yield* bus.subscribe(numbers);
      yield* bus.publishBatch(numbers, [1, 2]);
      const publisher = yield* Effect.fork(bus.publish(numbers, 3));
      yield* settle(() => waiting(bus) === 1);
      expect(drainAll(fast)).toEqual([1, 2]);
      yield* Effect.yieldNow();
      expect(Option.isNone(yield* Fiber.poll(publisher))).toBe(true); // slow is still full
      expect(slow.drain(1, () => undefined)).toBe(1);
      yield* Fiber.join(publisher);
      expect([drainAll(fast), drainAll(slow)]).toEqual([[3], [2, 3]]);
      expect(bus.stats()[0]).toMatchObject({ waits: 1, waitingPublishers: 0 });
    }),
  );

  it.scoped("waiting publishers are served in arrival order; newcomers queue behind", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(numbers);
      yield* bus.publishBatch(numbers, [1, 2]);
      const first = yield* Effect.fork(bus.publish(numbers, 3));
      yield* settle(() => waiting(bus) === 1);
      const second = yield* Effect.fork(bus.publishBatch(numbers, [4, 5, 6]));
      yield* settle(() => waiting(bus) === 2);
      expect(drainAll(sub)).toEqual([1, 2]);
      // Room for two: 3 goes in (first is done), then 4; a newcomer may not jump the queue.
      expect(bus.tryPublish(numbers, 99)).toBe(false);
      yield* Fiber.join(first);
      expect(drainAll(sub)).toEqual([3, 4]);
      expect(drainAll(sub)).toEqual([5, 6]);
      yield* Fiber.join(second);
      expect(bus.tryPublish(numbers, 7)).toBe(true);
      expect(drainAll(sub)).toEqual([7]);
    }),
  );

  it.scoped("publishBatch into a partly full mailbox delivers in order, across waits", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(numbers, { capacity: 3 });
      yield* bus.publish(numbers, 0);
      const batch = yield* Effect.fork(bus.publishBatch(numbers, [1, 2, 3, 4, 5, 6, 7]));
      const got: Array<number> = [];
      while (got.length < 8) {
        got.push(...(yield* sub.takeUpTo(2)));
        expect(sub.size).toBeLessThanOrEqual(3);
      }
      yield* Fiber.join(batch);
      expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }),
  );

  it.scoped("an interrupted publisher withdraws what it had not handed off yet", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(numbers);
      yield* bus.publishBatch(numbers, [1]);
      const stuck = yield* Effect.fork(bus.publishBatch(numbers, [2, 3, 4]));
      yield* settle(() => waiting(bus) === 1);
      const next = yield* Effect.fork(bus.publish(numbers, 5));
      yield* settle(() => waiting(bus) === 2);
      yield* Fiber.interrupt(stuck); // 2 was handed off; 3 and 4 are withdrawn
      expect(waiting(bus)).toBe(1);
      expect(drainAll(sub)).toEqual([1, 2]);
      yield* Fiber.join(next);
      expect(drainAll(sub)).toEqual([5]);
      expect(waiting(bus)).toBe(0);
    }),
  );

  it.scoped("unsubscribing the full subscriber releases the publisher it held", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const live = yield* bus.subscribe(numbers, { capacity: 5 });
      const gone = yield* bus.subscribe(numbers);
      yield* bus.publishBatch(numbers, [1, 2]);
      const publisher = yield* Effect.fork(bus.publish(numbers, 3));
      yield* settle(() => waiting(bus) === 1);
      yield* gone.unsubscribe;
      yield* Fiber.join(publisher);
      expect(drainAll(live)).toEqual([1, 2, 3]);
      expect(bus.stats()[0]).toMatchObject({ subscribers: 1, waitingPublishers: 0 });
    }),
  );

  it.scoped("with no subscriber, publish never waits", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      yield* bus.publishBatch(numbers, [1, 2, 3, 4, 5]);
      expect(bus.stats()[0]).toMatchObject({ published: 5, delivered: 0 });
    }),
  );
});
