import { describe, expect, it } from "@effect/vitest";
import { Cause, Effect, Exit } from "effect";
import {
  BusService,
  DEFAULT_CAPACITY,
  defineTopic,
  makeMemoryBus,
  memoryBusLayer,
  unsafeMakeMemoryBus,
} from "../src/bus/index.ts";
import type { Bus, Topic } from "../src/bus/index.ts";

interface Ping {
  readonly n: number;
}
interface Pong {
  readonly text: string;
}

describe("defineTopic", () => {
  it("defaults to backpressure with the default capacity, and is frozen", () => {
    const topic = defineTopic<Ping>("job.events");
    expect(topic).toEqual({
      name: "job.events",
      capacity: DEFAULT_CAPACITY,
      overflow: "backpressure",
    });
    expect(Object.isFrozen(topic)).toBe(true);
  });

  it("rejects bad capacities with a precise message", () => {
    for (const capacity of [0, -1, 1.5, Number.NaN, 2 ** 25]) {
      expect(() => defineTopic("t", { capacity })).toThrow(/capacity must be an integer from 1/);
    }
  });

  it("rejects names that would not be NATS subjects, and unknown policies", () => {
    for (const name of ["", "a..b", ".a", "a b", "a.*", "a.>"]) {
      expect(() => defineTopic(name)).toThrow(/name must be dot-separated/);
    }
    const overflow = "drop-newest" as unknown as "drop-oldest";
    expect(() => defineTopic("t", { overflow })).toThrow(/overflow must be/);
  });

  it("ties messages to the topic's type", () => {
    const pings = defineTopic<Ping>("pings");
    const bus: Bus = unsafeMakeMemoryBus();
    expect(bus.tryPublish(pings, { n: 1 })).toBe(true);
    // @ts-expect-error a Pong is not a Ping
    bus.tryPublish(pings, { text: "x" } satisfies Pong);
    // @ts-expect-error topics of different types are different tokens
    const pongs: Topic<Pong> = pings;
    expect(pongs.name).toBe("pings");
  });
});

describe("memory bus topics", () => {
  it.scoped("refuses one name defined twice with different options", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      yield* bus.subscribe(defineTopic<Ping>("twice", { capacity: 4 }));
      // Same options, other token: fine.
      expect(bus.tryPublish(defineTopic<Ping>("twice", { capacity: 4 }), { n: 1 })).toBe(true);
      expect(() => bus.publisher(defineTopic<Ping>("twice", { capacity: 8 }))).toThrow(
        /defined twice with different options \(capacity 4\/8/,
      );
    }),
  );

  it.scoped("rejects a bad per-subscription capacity", () =>
    Effect.gen(function* () {
      const bus = yield* makeMemoryBus;
      const exit = yield* Effect.exit(bus.subscribe(defineTopic<Ping>("t"), { capacity: 0 }));
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toMatch(
        /subscribe\(t\): capacity must be an integer/,
      );
    }),
  );

  it.scoped("is provided as BusService by the memory layer", () =>
    Effect.gen(function* () {
      const bus = yield* BusService;
      const topic = defineTopic<Ping>("layered");
      const sub = yield* bus.subscribe(topic);
      yield* bus.publish(topic, { n: 7 });
      expect(yield* sub.take).toEqual({ n: 7 });
    }).pipe(Effect.provide(memoryBusLayer)),
  );
});
