import { describe, expect, it } from "@effect/vitest";
import { Effect, Fiber, Option } from "effect";
import { defineTopic, makeMemoryBus } from "../src/bus/index.ts";
import type { Message } from "../src/bus/index.ts";

interface Event {
  readonly seq: number;
  readonly tags: ReadonlyArray<string>;
}

const events = defineTopic<Event>("job.events", { capacity: 8 });
const event = (seq: number): Event => Object.freeze({ seq, tags: Object.freeze(["a"]) });

/** Lets forked fibers run until `ready` holds; a bounded number of scheduler turns, no clock. */
const settle = (ready: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 100 && !ready(); i++) yield* Effect.yieldNow();
    expect(ready()).toBe(true);
  });

/** White-box: the adapter's registered wake-ups, to prove none is left behind. */
const waitingTakers = (sub: object): number =>
  (sub as { readonly takers: ReadonlyArray<unknown> }).takers.length;

describe("memory bus delivery", () => {
  it.scoped("fans every message out to every subscriber, in order, by reference", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const subs = [yield* bus.subscribe(events), yield* bus.subscribe(events)];
      const sent = [event(1), event(2), event(3)];
      for (const m of sent) yield* bus.publish(events, m);
      for (const sub of subs) {
        const got = yield* sub.takeUpTo(10);
        expect(got).toEqual(sent);
        got.forEach((m, i) => expect(m).toBe(sent[i])); // the same object, not a copy
      }
    }),
  );

  it.scoped("delivers only what is published after subscribing", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      yield* bus.publish(events, event(0)); // nobody listens: published, delivered nowhere
      const sub = yield* bus.subscribe(events);
      yield* bus.publish(events, event(1));
      expect((yield* sub.take).seq).toBe(1);
      expect(sub.size).toBe(0);
      expect(bus.stats()).toEqual([
        {
          topic: "job.events",
          overflow: "backpressure",
          published: 2,
          delivered: 1,
          received: 1,
          dropped: 0,
          subscribers: 1,
          waitingPublishers: 0,
          waits: 0,
        },
      ]);
    }),
  );

  it.scoped("take waits for the next message", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(events);
      const taker = yield* Effect.fork(sub.take);
      yield* settle(() => waitingTakers(sub) === 1);
      expect(Option.isNone(yield* Fiber.poll(taker))).toBe(true);
      yield* bus.publish(events, event(5));
      expect((yield* Fiber.join(taker)).seq).toBe(5);
    }),
  );

  it.scoped("takeUpTo waits for at least one, then takes at most max", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(events);
      const taker = yield* Effect.fork(sub.takeUpTo(2));
      yield* settle(() => waitingTakers(sub) === 1);
      yield* bus.publishBatch(events, [event(1), event(2), event(3)]);
      expect((yield* Fiber.join(taker)).map((m) => m.seq)).toEqual([1, 2]);
      expect((yield* sub.takeUpTo(2)).map((m) => m.seq)).toEqual([3]);
    }),
  );

  it.scoped("awaitMessages + drain: the synchronous consumer loop", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(events);
      const seen: Array<number> = [];
      const consumer = yield* Effect.fork(
        Effect.gen(function* () {
          while (seen.length < 5) {
            yield* sub.awaitMessages;
            sub.drain(2, (m) => seen.push(m.seq));
          }
        }),
      );
      yield* bus.publishBatch(events, [1, 2, 3, 4, 5].map(event));
      yield* Fiber.join(consumer);
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(sub.received).toBe(5);
      expect(sub.drain(10, () => undefined)).toBe(0); // never waits
    }),
  );

  it.scoped("a drain handler may publish to the topic it drains", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(events);
      const pub = bus.publisher(events);
      expect(pub.tryPublish(event(1))).toBe(true);
      const seen: Array<number> = [];
      const echo = (m: Message<Event>): void => {
        seen.push(m.seq);
        if (m.seq < 4) expect(pub.tryPublish(event(m.seq + 1))).toBe(true);
      };
      expect(sub.drain(10, echo)).toBe(4);
      expect(seen).toEqual([1, 2, 3, 4]);
    }),
  );

  it.scoped("a throwing handler leaves the counters exact", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(events);
      yield* bus.publishBatch(events, [event(1), event(2)]);
      expect(() =>
        sub.drain(10, () => {
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect([sub.received, sub.size, bus.stats()[0]?.received]).toEqual([1, 1, 1]);
    }),
  );

  it.scoped("many waiting takers on one subscription each get a message", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(events);
      const takers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(sub.take));
      yield* settle(() => waitingTakers(sub) === 3);
      yield* bus.publishBatch(events, [event(1), event(2), event(3)]);
      const got = yield* Effect.forEach(takers, Fiber.join);
      expect(got.map((m) => m.seq).sort()).toEqual([1, 2, 3]);
      expect(waitingTakers(sub)).toBe(0);
    }),
  );
});
