/**
 * A commit that fails finishes nothing: no effect is performed and no ask is answered until
 * one commit holding the latest record of every actor concerned has gone through, retried with
 * backoff. A later commit that succeeded meanwhile is never overwritten by an older record.
 */
import { describe, expect, it } from "@effect/vitest";
import { Deferred, Effect, Fiber, TestClock } from "effect";
import { makeMemorySnapshotStore } from "../src/persistence/memory/snapshots.ts";
import { StoreError, type SnapshotStore, type StagedJob } from "../src/persistence/snapshots.ts";
import { makeActorSystem } from "../src/runtime/index.ts";
import { hodeiBehaviours, jobAddress } from "../src/supervisor/kinds.ts";
import type { JobEffect, JobInput } from "../actors/job.ts";

const jobInput = (jobId: string): JobInput => ({
  jobId,
  retry: { maxAttempts: 1, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 1000, jitter: 0 },
  timeoutMs: null,
  cancelGraceMs: 5_000,
  at: 0,
});

/** A memory store whose commits fail while `failing`, each commit gated when `gated`. */
const faultyStore = (ordered: boolean) => {
  const inner = makeMemorySnapshotStore();
  const state = { failing: false, attempts: 0, gates: [] as Array<Deferred.Deferred<boolean>> };
  const store: SnapshotStore = {
    ...inner,
    ordered,
    saveBatch: (records) =>
      Effect.gen(function* () {
        state.attempts++;
        const gate = yield* Deferred.make<boolean>();
        state.gates.push(gate);
        // The gate's value: whether this commit fails (the disk is full).
        const fail = yield* Deferred.await(gate);
        if (fail) return yield* new StoreError({ operation: "snapshots.saveBatch", cause: "EIO" });
        yield* inner.saveBatch(records);
      }),
  };
  return { store, inner, state };
};

/** `store` made to stage, each commit's staged jobs shown to `seen` before it goes through. */
const staging = (
  store: SnapshotStore,
  seen: (jobs: ReadonlyArray<StagedJob>) => void,
): SnapshotStore => ({
  ...store,
  stages: true,
  saveBatch: (records, jobs = []) => {
    seen(jobs);
    return store.saveBatch(records, jobs);
  },
});

const transitions = (effects: Array<[string, JobEffect]>) =>
  effects
    .filter(([, e]) => e.type === "job.transitioned")
    .map(([from, e]) => `${from}:${(e as Extract<JobEffect, { type: "job.transitioned" }>).state}`);

/** One turn of the event loop: the actor system runs its rounds at the end of a turn. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)));

const turns = (n = 20) =>
  Effect.gen(function* () {
    for (let i = 0; i < n; i++) yield* turn;
  });

describe("a commit that fails", () => {
  it.scoped(
    "performs nothing, answers nothing, and is retried with the later rounds until it goes through",
    () =>
      Effect.gen(function* () {
        const { store, inner, state } = faultyStore(true);
        const effects: Array<[string, JobEffect]> = [];
        const system = yield* makeActorSystem({
          behaviours: hodeiBehaviours,
          store,
          onEffect: (from, e) => effects.push([from, e as JobEffect]),
        });
        const a = jobAddress("A");
        const b = jobAddress("B");
        yield* system.spawn(a, jobInput("A"), true);
        yield* system.spawn(b, jobInput("B"), true);
        const before = effects.length;

        // Round 1: A scheduled; its commit will fail. Round 2 (in flight at the same time, the
        // store being ordered): A running and B scheduled; its commit succeeds.
        yield* system.tell(a, { type: "schedule", at: 1, workerId: "w", acceptBy: 99 });
        yield* turns();
        const asked = yield* Effect.fork(system.ask(a, { type: "started", at: 2, attempt: 1 }));
        yield* system.tell(b, { type: "schedule", at: 2, workerId: "w", acceptBy: 99 });
        yield* turns();
        expect(state.gates.length).toBe(2);
        yield* Deferred.succeed(state.gates[1]!, false);
        yield* Deferred.succeed(state.gates[0]!, true);
        yield* turns();
        expect(effects.length).toBe(before);
        expect(asked.unsafePoll()).toBeNull();

        // The retry, after its backoff: it fails too, then a third goes through.
        yield* TestClock.adjust("10 millis");
        yield* turns();
        expect(state.gates.length).toBe(3);
        yield* Deferred.succeed(state.gates[2]!, true);
        yield* turns();
        expect(effects.length).toBe(before);
        yield* TestClock.adjust("20 millis");
        yield* turns();
        expect(state.gates.length).toBe(4);
        yield* Deferred.succeed(state.gates[3]!, false);
        yield* turns();

        const answer = yield* Fiber.join(asked);
        expect(answer._tag).toBe("taken");
        // Round 1's effects first, then round 2's (in the order that round ran its actors).
        const seen = transitions(effects.slice(before));
        expect(seen[0]).toBe(`${a}:scheduled`);
        expect(seen.slice(1).sort()).toEqual([`${a}:running`, `${b}:scheduled`]);
        // The store holds each actor's latest state: the retry did not bring back an older one.
        expect((yield* inner.load(a))?.snapshot.value).toBe("running");
        expect((yield* inner.load(b))?.snapshot.value).toBe("scheduled");
      }),
  );

  it.scoped(
    "on a store of several connections, holds later commits until the retry went through",
    () =>
      Effect.gen(function* () {
        const { store, inner, state } = faultyStore(false);
        const effects: Array<[string, JobEffect]> = [];
        const system = yield* makeActorSystem({
          behaviours: hodeiBehaviours,
          store,
          onEffect: (from, e) => effects.push([from, e as JobEffect]),
        });
        const a = jobAddress("C");
        const b = jobAddress("D");
        yield* system.spawn(a, jobInput("C"), true);
        yield* system.spawn(b, jobInput("D"), true);
        const before = effects.length;
        yield* system.tell(a, { type: "schedule", at: 1, workerId: "w", acceptBy: 99 });
        yield* turns();
        yield* Deferred.succeed(state.gates[0]!, true);
        yield* turns();
        // Failing: a new round's commit does not start on its own; it waits for the retry.
        yield* system.tell(b, { type: "schedule", at: 2, workerId: "w", acceptBy: 99 });
        yield* turns();
        expect(state.gates.length).toBe(1);
        yield* TestClock.adjust("10 millis");
        yield* turns();
        expect(state.gates.length).toBe(2);
        yield* Deferred.succeed(state.gates[1]!, false);
        yield* turns();
        expect(transitions(effects.slice(before))).toEqual([`${a}:scheduled`]);
        expect(state.gates.length).toBe(3);
        yield* Deferred.succeed(state.gates[2]!, false);
        yield* system.settled;
        expect(transitions(effects.slice(before))).toEqual([`${a}:scheduled`, `${b}:scheduled`]);
        expect((yield* inner.load(b))?.snapshot.value).toBe("scheduled");
      }),
  );

  it.scoped("carries the jobs staged with a round in its commit, and in the retry", () =>
    Effect.gen(function* () {
      const { store, state } = faultyStore(true);
      const staged: Array<ReadonlyArray<string>> = [];
      const effects: Array<[string, JobEffect]> = [];
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store: staging(store, (jobs) => staged.push(jobs.map((j) => j.job.id))),
        // A stand-in for a pipeline step's job: one per job scheduled.
        stage: (round) =>
          round.flatMap(([from, e]) =>
            e.type === "job.transitioned" && e.state === "scheduled"
              ? [{ job: { id: `for ${from}` } as never }]
              : [],
          ),
        onEffect: (from, e) => effects.push([from, e as JobEffect]),
      });
      const a = jobAddress("E");
      const b = jobAddress("F");
      yield* system.spawn(a, jobInput("E"), true);
      yield* system.spawn(b, jobInput("F"), true);
      const before = effects.length;
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w", acceptBy: 99 });
      yield* turns();
      yield* system.tell(b, { type: "schedule", at: 2, workerId: "w", acceptBy: 99 });
      yield* turns();
      expect(staged).toEqual([[`for ${a}`], [`for ${b}`]]);
      yield* Deferred.succeed(state.gates[1]!, false);
      yield* Deferred.succeed(state.gates[0]!, true);
      yield* turns();
      expect(effects.length).toBe(before);
      // The retry holds every job of the rounds it commits.
      yield* TestClock.adjust("10 millis");
      yield* turns();
      expect(staged[2]).toEqual([`for ${a}`, `for ${b}`]);
      yield* Deferred.succeed(state.gates[2]!, false);
      yield* system.settled;
      expect(transitions(effects.slice(before))).toEqual([`${a}:scheduled`, `${b}:scheduled`]);
    }),
  );

  it.scoped("stages nothing on a store that cannot create jobs in a commit", () =>
    Effect.gen(function* () {
      let called = 0;
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store: makeMemorySnapshotStore(),
        stage: () => {
          called++;
          return [];
        },
      });
      const a = jobAddress("G");
      yield* system.spawn(a, jobInput("G"), true);
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w", acceptBy: 99 });
      yield* system.settled;
      expect(called).toBe(0);
    }),
  );

  it.scoped("commits a round whose staging threw, with nothing staged", () =>
    Effect.gen(function* () {
      const inner = makeMemorySnapshotStore();
      const staged: number[] = [];
      const effects: string[] = [];
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store: staging(inner, (jobs) => staged.push(jobs.length)),
        stage: () => {
          throw new Error("a bug");
        },
        onEffect: (from) => effects.push(from),
      });
      const a = jobAddress("H");
      yield* system.spawn(a, jobInput("H"), true);
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w", acceptBy: 99 });
      yield* system.settled;
      expect(staged).toEqual([0]);
      expect((yield* inner.load(a))?.snapshot.value).toBe("scheduled");
      expect(effects).toContain(a);
    }),
  );
});
