/**
 * Property: on a drop-oldest topic publishers never wait, and for every subscriber
 * `received + dropped == published`, what it receives of each publisher is in publish order
 * (a gap is a drop, never a reordering), and a subscriber whose mailbox holds everything drops
 * nothing. The topic's counters agree with the subscribers'.
 *
 * Consumers stop when the bus closes after the last publish: close lets them drain what their
 * mailbox still holds before it reports `BusClosed`, which is part of what is checked.
 */
import { Effect, Fiber } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineTopic, makeMemoryBus } from "../src/bus/index.ts";
import type { Subscription } from "../src/bus/index.ts";

interface Msg {
  readonly publisher: number;
  readonly seq: number;
}

const publisherSpec = fc.record({
  count: fc.integer({ min: 0, max: 40 }),
  api: fc.constantFrom("publish", "publishBatch", "tryPublish"),
  batch: fc.integer({ min: 1, max: 12 }),
  pause: fc.integer({ min: 0, max: 2 }),
});
const subscriberSpec = fc.record({
  capacity: fc.integer({ min: 1, max: 10 }),
  batch: fc.integer({ min: 1, max: 6 }),
  pause: fc.integer({ min: 0, max: 6 }),
});

const pause = (turns: number) =>
  Effect.repeatN(Effect.yieldNow(), turns - 1).pipe(Effect.when(() => turns > 0));

/** Takes until the bus is closed and the mailbox empty. */
const consume = (sub: Subscription<Msg>, batch: number, turns: number) =>
  Effect.gen(function* () {
    const got: Array<Msg> = [];
    for (;;) {
      const next = yield* Effect.either(sub.takeUpTo(batch));
      if (next._tag === "Left") return got;
      got.push(...next.right);
      yield* pause(turns);
    }
  });

const scenario = fc.record({
  publishers: fc.array(publisherSpec, { minLength: 1, maxLength: 4 }),
  subscribers: fc.array(subscriberSpec, { minLength: 1, maxLength: 4 }),
});

describe("bus property: drop-oldest", () => {
  it("received + dropped == published per subscriber, and received is in order", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, ({ publishers, subscribers }) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const bus = yield* makeMemoryBus;
              const topic = defineTopic<Msg>("prop.drop", { capacity: 4, overflow: "drop-oldest" });
              const sent = publishers.map((p, publisher) =>
                Array.from({ length: p.count }, (_, seq) => Object.freeze({ publisher, seq })),
              );
              const total = sent.reduce((n, msgs) => n + msgs.length, 0);
              const subs = yield* Effect.forEach(subscribers, (s) =>
                bus.subscribe(topic, { capacity: s.capacity }),
              );
              const consumers = yield* Effect.forEach(subs, (sub, i) =>
                Effect.fork(consume(sub, subscribers[i]!.batch, subscribers[i]!.pause)),
              );
              const producers = yield* Effect.forEach(publishers, (spec, p) =>
                Effect.fork(
                  Effect.gen(function* () {
                    const pub = bus.publisher(topic);
                    const msgs = sent[p]!;
                    for (let i = 0; i < msgs.length;) {
                      if (spec.api === "tryPublish") expect(pub.tryPublish(msgs[i++]!)).toBe(true);
                      else if (spec.api === "publish") yield* pub.publish(msgs[i++]!);
                      else {
                        yield* pub.publishBatch(msgs.slice(i, i + spec.batch));
                        i += spec.batch;
                      }
                      yield* pause(spec.pause);
                    }
                  }),
                ),
              );
              yield* Fiber.joinAll(producers);
              yield* bus.close;
              const received = yield* Effect.forEach(consumers, Fiber.join);

              received.forEach((got, i) => {
                const sub = subs[i]!;
                expect(got.length + sub.dropped).toBe(total);
                expect(sub.received).toBe(got.length);
                if (sub.capacity >= total) expect(sub.dropped).toBe(0);
                sent.forEach((_, publisher) => {
                  const seqs = got.filter((m) => m.publisher === publisher).map((m) => m.seq);
                  const ordered = seqs.every((s, j) => j === 0 || s > seqs[j - 1]!);
                  expect(ordered, `publisher ${publisher} received ${seqs.join(",")}`).toBe(true);
                });
                // By reference: every received message is the published object itself.
                expect(got.every((m) => sent[m.publisher]![m.seq] === m)).toBe(true);
              });
              const dropped = subs.reduce((n, s) => n + s.dropped, 0);
              expect(bus.stats()[0]).toMatchObject({
                published: total,
                delivered: total * subs.length,
                received: total * subs.length - dropped,
                dropped,
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
