import { describe, expect, it } from "@effect/vitest";
import { Effect, Exit, TestClock } from "effect";
import { assign, setup } from "xstate";
import { makeMemorySnapshotStore } from "../src/persistence/memory/snapshots.ts";
import { address, behaviour, makeActorSystem } from "../src/runtime/index.ts";

/** A counter that throws on `boom`: what a defect in a machine's action looks like. */
const counter = setup({
  types: {
    context: {} as { n: number },
    events: {} as { type: "inc" } | { type: "boom" } | { type: "tick"; at: number },
  },
}).createMachine({
  context: { n: 0 },
  on: {
    inc: { actions: assign({ n: ({ context }) => context.n + 1 }) },
    boom: {
      actions: () => {
        throw new Error("defect");
      },
    },
  },
});

const counterBehaviour = behaviour({
  kind: "counter",
  version: "1",
  machine: counter,
  deadlineOf: () => null,
  tick: (at) => ({ type: "tick" as const, at }),
});

const setupSystem = Effect.gen(function* () {
  const dead: string[] = [];
  const escalated: string[] = [];
  const store = makeMemorySnapshotStore();
  const system = yield* makeActorSystem({
    behaviours: { counter: counterBehaviour },
    store,
    supervision: { maxRestarts: 2, windowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 1_000 },
    onDeadLetter: (_a, m, reason) => dead.push(`${(m as { type: string }).type}: ${reason}`),
    onEscalate: (a) => escalated.push(a),
  });
  const n = (a: `counter/${string}`) =>
    system.snapshot(a).pipe(Effect.map((s) => (s as { context: { n: number } }).context.n));
  return { system, store, dead, escalated, n };
});

describe("supervision", () => {
  it.scoped("restarts a failing actor from its last snapshot after a backoff", () =>
    Effect.gen(function* () {
      const { system, dead, n } = yield* setupSystem;
      const a = address("counter", "c1");
      yield* system.spawn(a, undefined);
      yield* system.tell(a, { type: "inc" });
      yield* system.tell(a, { type: "inc" });
      yield* system.settled;
      yield* system.tell(a, { type: "boom" });
      yield* system.tell(a, { type: "inc" });
      yield* system.settled;
      // Restarting: the message after the defect waits for the backoff.
      expect(yield* n(a)).toBe(2);
      yield* TestClock.adjust("100 millis");
      yield* system.settled;
      expect(yield* n(a)).toBe(3);
      expect(dead).toEqual(["boom: the actor failed: Error: defect"]);
      expect(system.stats().restarts).toBe(1);
    }),
  );

  it.scoped("escalates after too many restarts in the window and stops the actor", () =>
    Effect.gen(function* () {
      const { system, escalated } = yield* setupSystem;
      const a = address("counter", "c2");
      yield* system.spawn(a, undefined);
      for (let i = 0; i < 3; i++) {
        yield* system.tell(a, { type: "boom" });
        yield* system.settled;
        yield* TestClock.adjust("1 second");
        yield* system.settled;
      }
      expect(escalated).toEqual(["counter/c2"]);
      const after = yield* Effect.exit(system.tell(a, { type: "inc" }));
      expect(Exit.isFailure(after)).toBe(true);
    }),
  );
});
