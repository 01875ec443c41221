/**
 * Property: on a backpressure topic nothing is lost or duplicated, and every subscriber sees
 * each publisher's messages in publish order, whatever the number of publishers and subscribers,
 * their mailbox sizes, their drain speeds and batch sizes, and the publish API each one uses.
 * Mailboxes never hold more than their capacity.
 *
 * Speeds are scheduler turns (`Effect.yieldNow`) between steps, so a run is deterministic for a
 * given seed: fast-check's counterexamples replay exactly.
 */
import { Effect, Fiber } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineTopic, makeMemoryBus } from "../src/bus/index.ts";
import type { Bus, Subscription, Topic } from "../src/bus/index.ts";

interface Msg {
  readonly publisher: number;
  readonly seq: number;
}

const publisherSpec = fc.record({
  count: fc.integer({ min: 0, max: 40 }),
  api: fc.constantFrom("publish", "publishBatch", "tryPublish"),
  batch: fc.integer({ min: 1, max: 7 }),
  pause: fc.integer({ min: 0, max: 2 }),
});
const subscriberSpec = fc.record({
  capacity: fc.integer({ min: 1, max: 8 }),
  api: fc.constantFrom("drain", "takeUpTo", "take"),
  batch: fc.integer({ min: 1, max: 6 }),
  pause: fc.integer({ min: 0, max: 4 }),
});
type PublisherSpec = typeof publisherSpec extends fc.Arbitrary<infer T> ? T : never;
type SubscriberSpec = typeof subscriberSpec extends fc.Arbitrary<infer T> ? T : never;

const pause = (turns: number) =>
  Effect.repeatN(Effect.yieldNow(), turns - 1).pipe(Effect.when(() => turns > 0));

const produce = (bus: Bus, topic: Topic<Msg>, msgs: ReadonlyArray<Msg>, spec: PublisherSpec) =>
  Effect.gen(function* () {
    const pub = bus.publisher(topic);
    for (let i = 0; i < msgs.length;) {
      if (spec.api === "publishBatch") {
        const chunk = msgs.slice(i, i + spec.batch);
        yield* pub.publishBatch(chunk);
        i += chunk.length;
      } else {
        const m = msgs[i++]!;
        if (spec.api === "publish" || !pub.tryPublish(m)) yield* pub.publish(m);
      }
      yield* pause(spec.pause);
    }
  });

const consume = (sub: Subscription<Msg>, total: number, spec: SubscriberSpec) =>
  Effect.gen(function* () {
    const got: Array<Msg> = [];
    let overfull = false;
    while (got.length < total) {
      overfull ||= sub.size > sub.capacity;
      if (spec.api === "take") got.push(yield* sub.take);
      else if (spec.api === "takeUpTo") got.push(...(yield* sub.takeUpTo(spec.batch)));
      else {
        yield* sub.awaitMessages;
        sub.drain(spec.batch, (m) => got.push(m));
      }
      yield* pause(spec.pause);
    }
    return { got, overfull };
  });

const scenario = fc.record({
  publishers: fc.array(publisherSpec, { minLength: 1, maxLength: 4 }),
  subscribers: fc.array(subscriberSpec, { minLength: 1, maxLength: 4 }),
});

describe("bus property: backpressure", () => {
  it("loses nothing and keeps per-publisher order, with random subscriber speeds", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, ({ publishers, subscribers }) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const bus = yield* makeMemoryBus;
              const topic = defineTopic<Msg>("prop.backpressure", { capacity: 4 });
              const sent = publishers.map((p, publisher) =>
                Array.from({ length: p.count }, (_, seq) => Object.freeze({ publisher, seq })),
              );
              const total = sent.reduce((n, msgs) => n + msgs.length, 0);
              const subs = yield* Effect.forEach(subscribers, (s) =>
                bus.subscribe(topic, { capacity: s.capacity }),
              );
              const consumers = yield* Effect.forEach(subs, (sub, i) =>
                Effect.fork(consume(sub, total, subscribers[i]!)),
              );
              const producers = yield* Effect.forEach(publishers, (p, i) =>
                Effect.fork(produce(bus, topic, sent[i]!, p)),
              );
              yield* Fiber.joinAll(producers);
              const results = yield* Effect.forEach(consumers, Fiber.join);

              for (const { got, overfull } of results) {
                expect(overfull).toBe(false);
                expect(got).toHaveLength(total);
                sent.forEach((msgs, publisher) => {
                  const mine = got.filter((m) => m.publisher === publisher);
                  // All of them, in order, and the very objects that were published.
                  const same = mine.length === msgs.length && mine.every((m, i) => m === msgs[i]);
                  if (!same) expect(mine).toEqual(msgs); // a readable diff
                });
              }
              expect(bus.stats()[0]).toMatchObject({
                topic: "prop.backpressure",
                overflow: "backpressure",
                published: total,
                delivered: total * subs.length,
                received: total * subs.length,
                dropped: 0,
                subscribers: subs.length,
                waitingPublishers: 0,
              });
            }),
          ),
        ),
      ),
      { numRuns: 1000 },
    );
  });
});
