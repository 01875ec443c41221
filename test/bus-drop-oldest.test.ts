import { describe, expect, it } from "@effect/vitest";
import { Effect, Fiber } from "effect";
import { defineTopic, makeMemoryBus } from "../src/bus/index.ts";

interface Telemetry {
  readonly cpu: number;
}

const telemetry = defineTopic<Telemetry>("worker.telemetry", {
  capacity: 3,
  overflow: "drop-oldest",
});
const sample = (cpu: number): Telemetry => Object.freeze({ cpu });

describe("memory bus drop-oldest topics", () => {
  it.scoped("never wait: a full mailbox discards its oldest message and counts it", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(telemetry);
      for (let i = 1; i <= 5; i++) expect(bus.tryPublish(telemetry, sample(i))).toBe(true);
      yield* bus.publish(telemetry, sample(6));
      expect(sub.dropped).toBe(3);
      expect((yield* sub.takeUpTo(10)).map((s) => s.cpu)).toEqual([4, 5, 6]);
      expect(bus.stats()[0]).toMatchObject({
        overflow: "drop-oldest",
        published: 6,
        delivered: 6,
        received: 3,
        dropped: 3,
      });
    }),
  );

  it.scoped("drops per subscriber: a fast one loses nothing, a slow one the oldest", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const fast = yield* bus.subscribe(telemetry, { capacity: 10 });
      const slow = yield* bus.subscribe(telemetry);
      yield* bus.publishBatch(telemetry, [1, 2, 3, 4, 5, 6, 7].map(sample));
      expect([fast.dropped, slow.dropped]).toEqual([0, 4]);
      expect((yield* fast.takeUpTo(10)).map((s) => s.cpu)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect((yield* slow.takeUpTo(10)).map((s) => s.cpu)).toEqual([5, 6, 7]);
      expect(bus.stats()[0]?.dropped).toBe(4);
    }),
  );

  it.scoped("wakes a waiting taker", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const sub = yield* bus.subscribe(telemetry);
      const taker = yield* Effect.fork(sub.take);
      yield* Effect.yieldNow();
      yield* bus.publish(telemetry, sample(42));
      expect((yield* Fiber.join(taker)).cpu).toBe(42);
    }),
  );
});
