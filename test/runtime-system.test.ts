import { describe, expect, it } from "@effect/vitest";
import { Deferred, Effect, Exit, Scope, TestClock } from "effect";
import { makeMemorySnapshotStore } from "../src/persistence/memory/snapshots.ts";
import type { SnapshotStore } from "../src/runtime/snapshot-store.ts";
import { makeActorSystem } from "../src/runtime/index.ts";
import { hodeiBehaviours, jobAddress, workerAddress } from "../src/supervisor/kinds.ts";
import type { JobEffect, JobInput } from "../actors/job.ts";

const retry = {
  maxAttempts: 2,
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0,
};
const jobInput = (jobId: string, at: number): JobInput => ({
  jobId,
  retry,
  timeoutMs: null,
  cancelGraceMs: 5_000,
  at,
});

/** A system over a memory store that records every effect and dead letter it sees. */
/** One turn of the event loop: the actor system runs its rounds at the end of a turn. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)));

const harness = (options: { passivateIdleAfterMs?: number; store?: SnapshotStore } = {}) =>
  Effect.gen(function* () {
    const store = makeMemorySnapshotStore();
    const effects: Array<[string, JobEffect | { type: string }]> = [];
    const dead: Array<[string, string]> = [];
    const system = yield* makeActorSystem({
      behaviours: hodeiBehaviours,
      store: options.store ?? store,
      onEffect: (from, e) => effects.push([from, e]),
      onDeadLetter: (address, _m, reason) => dead.push([address, reason]),
      passivateIdleAfterMs: options.passivateIdleAfterMs ?? null,
    });
    const states = (addr: string) =>
      effects
        .filter(([from, e]) => from === addr && e.type === "job.transitioned")
        .map(([, e]) => (e as Extract<JobEffect, { type: "job.transitioned" }>).state);
    return { system, store, effects, dead, states };
  });

describe("actor system", () => {
  it.scoped("drives a job through its lifecycle, commits it and passivates it", () =>
    Effect.gen(function* () {
      const { system, store, states } = yield* harness();
      const a = jobAddress("J1");
      yield* system.spawn(a, jobInput("J1", system.now()));
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w1", acceptBy: 100 });
      yield* system.tell(a, { type: "started", at: 2, attempt: 1 });
      yield* system.tell(a, { type: "succeeded", at: 3, attempt: 1, exitCode: 0 });
      yield* system.settled;
      expect(states(a)).toEqual(["queued", "scheduled", "running", "succeeded"]);
      expect(system.stats().live).toBe(0);
      const record = yield* store.load(a);
      expect(record?.done).toBe(true);
      expect(record?.snapshot.value).toBe("succeeded");
      // Every change of one round went in one commit, not one per transition.
      expect(store.commits()).toBeLessThanOrEqual(2);
    }),
  );

  it.scoped("performs effects only after the snapshot that emitted them is committed", () =>
    Effect.gen(function* () {
      const inner = makeMemorySnapshotStore();
      const log: string[] = [];
      const store: SnapshotStore = {
        ...inner,
        saveBatch: (records) =>
          inner.saveBatch(records).pipe(Effect.tap(() => log.push(`commit ${records.length}`))),
      };
      const { system, effects } = yield* harness({ store });
      yield* system.spawn(jobAddress("J2"), jobInput("J2", 0));
      yield* system.settled;
      log.push(...effects.map(([, e]) => e.type));
      expect(log).toEqual(["commit 1", "job.transitioned"]);
    }),
  );

  it.scoped("relays an effect's message to a live actor in the same round and commit", () =>
    Effect.gen(function* () {
      const inner = makeMemorySnapshotStore();
      const commits: string[][] = [];
      const store: SnapshotStore = {
        ...inner,
        saveBatch: (records) =>
          inner
            .saveBatch(records)
            .pipe(Effect.tap(() => commits.push(records.map((r) => r.address).sort()))),
      };
      const [r1, r2, r3] = [jobAddress("R1"), jobAddress("R2"), jobAddress("R3")];
      const relayed: Array<[string, boolean]> = [];
      let armed = false;
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store,
        // R1 scheduled starts R2 (live) and R3 (virtual, not in memory).
        relay: (from, e, deliver) => {
          if (!armed || from !== r1 || e.type !== "job.transitioned") return;
          for (const to of [r2, r3])
            relayed.push([to, deliver(to, { type: "started", at: 2, attempt: 1 })]);
        },
      });
      yield* system.spawn(r1, jobInput("R1", 0));
      yield* system.spawn(r2, jobInput("R2", 0));
      yield* system.spawn(r3, jobInput("R3", 0), true);
      yield* system.tell(r2, { type: "schedule", at: 1, workerId: "w1", acceptBy: 100 });
      yield* system.settled;
      commits.length = 0;
      armed = true;
      yield* system.tell(r1, { type: "schedule", at: 1, workerId: "w1", acceptBy: 100 });
      yield* system.settled;
      // R1's change and the change it caused in R2 in one commit; R3 was not live, so its
      // message is left to the owner (to send after the commit).
      expect(relayed).toEqual([
        [r2, true],
        [r3, false],
      ]);
      expect(commits).toEqual([[r1, r2]]);
      expect((yield* inner.load(r2))?.snapshot.value).toBe("running");
      expect(yield* inner.load(r3)).toBeUndefined();
    }),
  );

  it.scoped("fires a retry deadline on the clock, not before", () =>
    Effect.gen(function* () {
      const { system, states } = yield* harness();
      const a = jobAddress("J3");
      yield* system.spawn(a, jobInput("J3", 0));
      yield* system.tell(a, { type: "schedule", at: 0, workerId: "w1", acceptBy: 60_000 });
      yield* system.tell(a, { type: "started", at: 0, attempt: 1 });
      yield* system.tell(a, { type: "failed", at: 0, attempt: 1, error: "exit 1" });
      yield* system.settled;
      expect(states(a).at(-1)).toBe("retry_wait");
      yield* TestClock.adjust("999 millis");
      yield* system.settled;
      expect(states(a).at(-1)).toBe("retry_wait");
      yield* TestClock.adjust("1 millis");
      yield* system.settled;
      expect(states(a).at(-1)).toBe("queued");
    }),
  );

  it.scoped(
    "re-activates a passivated actor from its snapshot when a message or its timer comes",
    () =>
      Effect.gen(function* () {
        const { system, states } = yield* harness({ passivateIdleAfterMs: 10_000 });
        const a = jobAddress("J4");
        yield* system.spawn(a, jobInput("J4", 0));
        yield* system.tell(a, { type: "schedule", at: 0, workerId: "w1", acceptBy: 30_000 });
        yield* system.settled;
        yield* TestClock.adjust("20 seconds");
        yield* system.settled;
        expect(system.stats().live).toBe(0);
        // The acceptance deadline passes while the actor is out of memory: it bounces, and
        // its bounce backoff passes too.
        yield* TestClock.adjust("10 seconds");
        yield* system.settled;
        expect(states(a).at(-1)).toBe("retry_wait");
        yield* TestClock.adjust("20 seconds");
        yield* system.settled;
        yield* TestClock.adjust("20 seconds");
        yield* system.settled;
        expect(system.stats().live).toBe(0);
        yield* system.tell(a, { type: "cancel", at: system.now() });
        yield* system.settled;
        expect(states(a)).toEqual(["queued", "scheduled", "retry_wait", "queued", "cancelled"]);
      }),
  );

  it.scoped("refuses messages for unknown actors and finished ones, as dead letters", () =>
    Effect.gen(function* () {
      const { system, dead } = yield* harness();
      yield* system.tell(jobAddress("nope"), { type: "cancel", at: 0 });
      yield* system.spawn(jobAddress("J5"), jobInput("J5", 0));
      yield* system.tell(jobAddress("J5"), { type: "cancel", at: 0 });
      yield* system.settled;
      yield* system.tell(jobAddress("J5"), { type: "cancel", at: 0 });
      yield* system.settled;
      expect(dead).toEqual([
        ["job/nope", "no such actor"],
        ["job/J5", "the actor has finished"],
      ]);
      const again = yield* Effect.exit(system.spawn(jobAddress("J6"), jobInput("J6", 0)));
      expect(Exit.isSuccess(again)).toBe(true);
      const dup = yield* Effect.exit(system.spawn(jobAddress("J6"), jobInput("J6", 0)));
      expect(Exit.isFailure(dup)).toBe(true);
    }),
  );

  it.scoped("applies backpressure on a full mailbox and keeps each sender's order", () =>
    Effect.gen(function* () {
      const store = makeMemorySnapshotStore();
      const seen: number[] = [];
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store,
        mailboxCapacity: 2,
        onEffect: (_from, e) => {
          if (e.type === "worker.transitioned") seen.push(e.at);
        },
      });
      const w = workerAddress("w1");
      yield* system.spawn(w, { workerId: "w1", heartbeatTimeoutMs: 1_000_000, at: 0 });
      yield* system.settled;
      // registered, then alternate job_assigned / job_finished: each flips idle <-> busy.
      const messages = [
        { type: "registered" as const, at: 1, jobs: [] },
        ...Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? { type: "job_assigned" as const, at: i + 2, jobId: `j${i}` }
            : { type: "job_finished" as const, at: i + 2, jobId: `j${i - 1}` },
        ),
      ];
      expect(system.offer(w, messages[0]!)).toBe(true);
      expect(system.offer(w, messages[1]!)).toBe(true);
      expect(system.offer(w, messages[2]!)).toBe(false);
      yield* Effect.forEach(messages.slice(2), (m) => system.tell(w, m), { discard: true });
      yield* system.settled;
      expect(seen).toEqual([0, ...messages.map((m) => m.at)]);
    }),
  );

  it.scoped("send: a message that finds the mailbox full still arrives", () =>
    Effect.gen(function* () {
      const seen: number[] = [];
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store: makeMemorySnapshotStore(),
        mailboxCapacity: 2,
        onEffect: (_from, e) => {
          if (e.type === "worker.transitioned") seen.push(e.at);
        },
      });
      const w = workerAddress("w1");
      yield* system.spawn(w, { workerId: "w1", heartbeatTimeoutMs: 1_000_000, at: 0 });
      yield* system.settled;
      system.send(w, { type: "registered", at: 1, jobs: [] });
      system.send(w, { type: "job_assigned", at: 2, jobId: "j1" });
      system.send(w, { type: "job_finished", at: 3, jobId: "j1" });
      yield* system.settled;
      expect(seen).toEqual([0, 1, 2, 3]);
    }),
  );

  it.effect("closing the scope drains mailboxes and flushes snapshots", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make();
      const { system, store } = yield* harness().pipe(Scope.extend(scope));
      for (let i = 0; i < 50; i++) {
        const a = jobAddress(`K${i}`);
        yield* system.spawn(a, jobInput(`K${i}`, 0));
        system.offer(a, { type: "cancel", at: 0 });
      }
      yield* Scope.close(scope, Exit.void);
      const records = yield* store.loadActive("job");
      expect(records).toEqual([]);
      expect(store.size()).toBe(50);
      const after = yield* Effect.exit(system.spawn(jobAddress("late"), jobInput("late", 0)));
      expect(Exit.isFailure(after)).toBe(true);
    }),
  );

  it("types: a job message to a worker address does not compile", () => {
    const check = (s: Effect.Effect.Success<ReturnType<typeof harness>>["system"]) => {
      // @ts-expect-error a job message is not a worker message
      s.offer(workerAddress("w"), { type: "schedule", at: 0, workerId: "w", acceptBy: 1 });
    };
    expect(typeof check).toBe("function");
  });
});

describe("ask", () => {
  it.scoped(
    "answers after the commit with the effects the message caused, or why it was refused",
    () =>
      Effect.gen(function* () {
        const { system, store } = yield* harness();
        const a = jobAddress("A1");
        yield* system.spawn(a, jobInput("A1", 0));
        const taken = yield* system.ask(a, {
          type: "schedule",
          at: 1,
          workerId: "w1",
          acceptBy: 9,
        });
        expect(taken._tag).toBe("taken");
        // Answered after the commit: the store already holds the new state.
        expect((yield* store.load(a))?.snapshot.value).toBe("scheduled");
        const stale = yield* system.ask(a, { type: "started", at: 2, attempt: 7 });
        expect(stale).toMatchObject({
          _tag: "taken",
          effects: [{ type: "job.refused", reason: "stale_attempt", attempt: 7, current: 1 }],
        });
        const unknown = yield* system.ask(jobAddress("none"), { type: "cancel", at: 3 });
        expect(unknown).toEqual({ _tag: "dead", reason: "no such actor" });
      }),
  );

  it.scoped("does not commit volatile messages (heartbeats) on their own", () =>
    Effect.gen(function* () {
      const { system, store, effects } = yield* harness();
      const w = workerAddress("w9");
      yield* system.spawn(w, { workerId: "w9", heartbeatTimeoutMs: 1_000, at: 0 });
      yield* system.tell(w, { type: "registered", at: 0, jobs: [] });
      yield* system.settled;
      const commits = store.commits();
      for (let i = 1; i <= 10; i++) yield* system.tell(w, { type: "heartbeat", at: i * 500 });
      yield* system.settled;
      expect(store.commits()).toBe(commits);
      const live = (yield* system.snapshot(w)) as { context: { deadline: number } };
      expect(live.context.deadline).toBe(6_000);
      // Idle to busy and back with one job: announced, and not committed either.
      yield* system.tell(w, { type: "job_assigned", at: 6_000, jobId: "x" });
      yield* system.tell(w, { type: "job_finished", at: 6_001, jobId: "x" });
      yield* system.settled;
      expect(store.commits()).toBe(commits);
      const announced = effects
        .filter(([from, e]) => from === w && e.type === "worker.transitioned")
        .map(([, e]) => (e as { state: string }).state);
      expect(announced).toEqual(["registering", "idle", "busy", "idle"]);
    }),
  );
});

describe("commits", () => {
  it.scoped("a durable spawn commits nothing and performs its effects at once", () =>
    Effect.gen(function* () {
      const { system, store, states } = yield* harness();
      const a = jobAddress("D1");
      yield* system.spawn(a, jobInput("D1", 0), true);
      // The caller made the state durable (a job row): nothing to wait for.
      expect(states(a)).toEqual(["queued"]);
      yield* system.settled;
      expect(store.commits()).toBe(0);
      expect(yield* store.load(a)).toBeUndefined();
      // Its first change is committed with the whole snapshot.
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w1", acceptBy: 9 });
      yield* system.settled;
      expect((yield* store.load(a))?.snapshot.value).toBe("scheduled");
    }),
  );

  it.scoped("a durable spawn stays virtual until its first message", () =>
    Effect.gen(function* () {
      const { system, store } = yield* harness();
      const a = jobAddress("V1");
      yield* system.spawn(a, jobInput("V1", 0), true);
      expect(system.stats()).toMatchObject({ live: 0, virtual: 1 });
      // Its address is taken all the same.
      const again = yield* Effect.either(system.spawn(a, jobInput("V1", 0), true));
      expect(again._tag === "Left" && again.left._tag).toBe("ActorExists");
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w1", acceptBy: 9 });
      yield* system.settled;
      expect(system.stats()).toMatchObject({ live: 1, virtual: 0 });
      expect((yield* store.load(a))?.snapshot.value).toBe("scheduled");
    }),
  );

  it.scoped("an actor committed in a state it rests in is passivated at once", () =>
    Effect.gen(function* () {
      const { system, store, states } = yield* harness();
      const a = jobAddress("R1");
      yield* system.spawn(a, { ...jobInput("R1", 0), runAt: 1_000 });
      yield* system.settled;
      expect(system.stats().live).toBe(1);
      yield* TestClock.adjust("1 second");
      yield* system.settled;
      expect(states(a)).toEqual(["delayed", "queued"]);
      // Queued and committed: nothing of it in memory, the store has it.
      expect(system.stats()).toMatchObject({ live: 0, virtual: 0, timers: 0 });
      expect((yield* store.load(a))?.snapshot.value).toBe("queued");
      // The next message loads it back.
      yield* system.tell(a, { type: "schedule", at: 1_001, workerId: "w1", acceptBy: 9_000 });
      yield* system.settled;
      expect(states(a)).toEqual(["delayed", "queued", "scheduled"]);
      expect(system.stats().live).toBe(1);
    }),
  );

  it.scoped(
    "a delayed job come due is announced queued before its commit; a crash before it repeats the step",
    () =>
      Effect.gen(function* () {
        const inner = makeMemorySnapshotStore();
        const gates: Array<Deferred.Deferred<void>> = [];
        let gating = false;
        const store: SnapshotStore = {
          ...inner,
          ordered: true,
          saveBatch: (records) =>
            Effect.gen(function* () {
              if (gating) {
                const gate = yield* Deferred.make<void>();
                gates.push(gate);
                yield* Deferred.await(gate);
              }
              yield* inner.saveBatch(records);
            }),
        };
        const first = yield* harness({ store });
        const a = jobAddress("E1");
        yield* first.system.spawn(a, { ...jobInput("E1", 0), runAt: 1_000 });
        yield* first.system.settled;
        expect((yield* inner.load(a))?.snapshot.value).toBe("delayed");
        gating = true;
        yield* TestClock.adjust("1 second");
        for (let i = 0; i < 50 && gates.length < 1; i++) yield* turn;
        expect(gates.length).toBe(1);
        // Its commit hangs; `queued` is out already: the step follows from the durable
        // `delayed` and the clock alone.
        expect(first.states(a)).toEqual(["delayed", "queued"]);
        // Any other step still waits for its commit.
        yield* first.system.tell(a, { type: "schedule", at: 1_001, workerId: "w1", acceptBy: 9e3 });
        for (let i = 0; i < 10; i++) yield* turn;
        expect(first.states(a)).toEqual(["delayed", "queued"]);
        expect(first.effects.some(([, e]) => e.type === "job.assign")).toBe(false);

        // The process dies before that commit: the store still says `delayed`, its deadline
        // passed. A new supervisor takes the same step and announces it again.
        expect((yield* inner.load(a))?.snapshot.value).toBe("delayed");
        const second = yield* harness({ store: inner });
        yield* second.system.recover("job", undefined, (r) => r.snapshot.value === "delayed");
        yield* second.system.settled;
        expect(second.states(a)).toEqual(["queued"]);
        expect((yield* inner.load(a))?.snapshot.value).toBe("queued");
        for (const gate of gates) yield* Deferred.succeed(gate, undefined);
      }),
  );

  it.effect("commits what is only in memory when the system stops", () =>
    Effect.gen(function* () {
      const store = makeMemorySnapshotStore();
      const scope = yield* Scope.make();
      const { system } = yield* Scope.extend(harness({ store }), scope);
      const w = workerAddress("ws");
      yield* system.spawn(w, { workerId: "ws", heartbeatTimeoutMs: 1_000, at: 0 });
      yield* system.tell(w, { type: "registered", at: 0, jobs: [] });
      yield* system.tell(w, { type: "job_assigned", at: 1, jobId: "x" });
      yield* system.settled;
      yield* system.tell(w, { type: "heartbeat", at: 700 });
      yield* system.settled;
      const before = (yield* store.load(w))?.snapshot.context as { deadline: number };
      expect(before.deadline).toBe(1_000);
      // A virtual job, made from its row: nothing of it to write.
      yield* system.spawn(jobAddress("V1"), jobInput("V1", 0), true);
      yield* Scope.close(scope, Exit.void);
      const after = (yield* store.load(w))?.snapshot.context as { deadline: number };
      expect(after.deadline).toBe(1_700);
      expect(yield* store.load(jobAddress("V1"))).toBeUndefined();
    }),
  );

  it.scoped("commits what is only in memory before it passivates an actor", () =>
    Effect.gen(function* () {
      const { system, store } = yield* harness({ passivateIdleAfterMs: 10_000 });
      const a = jobAddress("D2");
      yield* system.spawn(a, jobInput("D2", 0), true);
      const w = workerAddress("wp");
      yield* system.spawn(w, { workerId: "wp", heartbeatTimeoutMs: 1_000_000, at: 0 });
      yield* system.tell(w, { type: "registered", at: 0, jobs: [] });
      yield* system.tell(w, { type: "job_assigned", at: 1, jobId: "x" });
      yield* system.settled;
      // Busy already: one more job changes nothing but the list, which is not committed alone.
      yield* system.tell(w, { type: "job_assigned", at: 2, jobId: "y" });
      yield* system.settled;
      const saved = (yield* store.load(w))?.snapshot.context as { jobs: string[] };
      expect(saved.jobs).toEqual(["x"]);
      // One sweep commits them, a later one passivates them.
      for (let i = 0; i < 40 && system.stats().live > 0; i++) {
        yield* TestClock.adjust("1 second");
        yield* system.settled;
      }
      expect(system.stats().live).toBe(0);
      // The job is virtual: its creator's record is its durable form, nothing of it to commit.
      expect(system.stats().virtual).toBe(1);
      expect(yield* store.load(a)).toBeUndefined();
      expect(((yield* system.snapshot(a)) as { value: string }).value).toBe("queued");
      const jobs = ((yield* store.load(w))?.snapshot.context as { jobs: string[] }).jobs;
      expect(jobs).toEqual(["x", "y"]);
      // Re-activated from what was committed: the volatile change was not lost.
      yield* system.tell(w, { type: "job_finished", at: 30_000, jobId: "x" });
      yield* system.settled;
      const live = yield* system.snapshot(w);
      expect(live?.context.jobs).toEqual(["y"]);
    }),
  );

  it.scoped("runs the next round while a commit is in flight, and keeps effects in order", () =>
    Effect.gen(function* () {
      const inner = makeMemorySnapshotStore();
      const gates: Array<Deferred.Deferred<void>> = [];
      const committed: string[][] = [];
      const store: SnapshotStore = {
        ...inner,
        ordered: true,
        saveBatch: (records) =>
          Effect.gen(function* () {
            const gate = yield* Deferred.make<void>();
            gates.push(gate);
            yield* Deferred.await(gate);
            committed.push(records.map((r) => String(r.snapshot.value)));
            yield* inner.saveBatch(records);
          }),
      };
      const { system, effects } = yield* harness({ store });
      const a = jobAddress("P1");
      const b = jobAddress("P2");
      yield* system.spawn(a, jobInput("P1", 0), true);
      yield* system.spawn(b, jobInput("P2", 0), true);
      const scheduled = effects.length;
      yield* system.tell(a, { type: "schedule", at: 1, workerId: "w1", acceptBy: 9 });
      while (gates.length < 1) yield* turn;
      // The first commit hangs; the next message is taken, and its commit started, meanwhile.
      yield* system.tell(b, { type: "schedule", at: 2, workerId: "w1", acceptBy: 9 });
      while (gates.length < 2) yield* turn;
      expect(effects.length).toBe(scheduled);
      // The second commit ends first: its effects still wait for the first's.
      yield* Deferred.succeed(gates[1]!, undefined);
      for (let i = 0; i < 10; i++) yield* turn;
      expect(effects.length).toBe(scheduled);
      yield* Deferred.succeed(gates[0]!, undefined);
      yield* system.settled;
      const after = effects.slice(scheduled).filter(([, e]) => e.type === "job.transitioned");
      expect(after.map(([from]) => from)).toEqual([a, b]);
    }),
  );

  it.scoped(
    "with a store that is not ordered, commits of one actor wait for each other, and share one",
    () =>
      Effect.gen(function* () {
        const inner = makeMemorySnapshotStore();
        const gates: Array<Deferred.Deferred<void>> = [];
        const sizes: number[] = [];
        const store: SnapshotStore = {
          ...inner,
          saveBatch: (records) =>
            Effect.gen(function* () {
              const gate = yield* Deferred.make<void>();
              gates.push(gate);
              sizes.push(records.length);
              yield* Deferred.await(gate);
              yield* inner.saveBatch(records);
            }),
        };
        const { system, effects } = yield* harness({ store });
        const [u1, u2, u3] = ["U1", "U2", "U3"].map(jobAddress);
        for (const [i, a] of [u1!, u2!, u3!].entries()) {
          yield* system.spawn(a, jobInput(`U${i + 1}`, 0), true);
        }
        const step = (n: number) =>
          Effect.gen(function* () {
            for (let i = 0; i < 20 && gates.length < n; i++) yield* turn;
          });
        const from = effects.length;
        yield* system.tell(u1!, { type: "schedule", at: 1, workerId: "w", acceptBy: 9 });
        yield* step(1);
        // Another actor: its commit need not wait.
        yield* system.tell(u2!, { type: "schedule", at: 2, workerId: "w", acceptBy: 9 });
        yield* step(2);
        expect(gates.length).toBe(2);
        // The same actor again: it waits for its first commit, and what comes after waits too.
        yield* system.tell(u1!, { type: "cancel", at: 3 });
        yield* step(3);
        yield* system.tell(u3!, { type: "schedule", at: 4, workerId: "w", acceptBy: 9 });
        yield* step(3);
        expect(gates.length).toBe(2);
        yield* Deferred.succeed(gates[1]!, undefined);
        yield* step(3);
        expect(gates.length).toBe(2);
        expect(effects.length).toBe(from);
        yield* Deferred.succeed(gates[0]!, undefined);
        yield* step(3);
        expect(gates.length).toBe(3);
        yield* Deferred.succeed(gates[2]!, undefined);
        yield* system.settled;
        expect(sizes).toEqual([1, 1, 2]);
        const transitions = effects
          .slice(from)
          .filter(([, e]) => e.type === "job.transitioned")
          .map(([a, e]) => `${a} ${(e as { state: string }).state}`);
        expect(transitions).toEqual([
          "job/U1 scheduled",
          "job/U2 scheduled",
          "job/U1 cancelled",
          "job/U3 scheduled",
        ]);
      }),
  );
});

describe("recovery", () => {
  it.effect("re-creates unfinished actors from the store, and their passed deadlines fire", () =>
    Effect.gen(function* () {
      const store = makeMemorySnapshotStore();
      const first = yield* Scope.make();
      const before = yield* harness({ store }).pipe(Scope.extend(first));
      const a = jobAddress("R1");
      const b = jobAddress("R2");
      yield* before.system.spawn(a, jobInput("R1", 0));
      yield* before.system.tell(a, { type: "schedule", at: 0, workerId: "w1", acceptBy: 5_000 });
      yield* before.system.spawn(b, jobInput("R2", 0));
      yield* before.system.tell(b, { type: "cancel", at: 0 });
      yield* Scope.close(first, Exit.void);

      // "Down" for 10 s: R1's acceptance deadline passed meanwhile. R2 is finished.
      yield* TestClock.adjust("10 seconds");
      const after = yield* harness({ store }).pipe(Scope.extend(yield* Scope.make()));
      expect(yield* after.system.recover("job")).toBe(1);
      yield* after.system.settled;
      expect(after.states(a)).toEqual(["retry_wait"]);
    }),
  );

  it.effect("resumes a job snapshot of a version the machine reads, and no other", () =>
    Effect.gen(function* () {
      const store = makeMemorySnapshotStore();
      const first = yield* Scope.make();
      const before = yield* harness({ store }).pipe(Scope.extend(first));
      for (const id of ["V1", "V2"]) {
        yield* before.system.spawn(jobAddress(id), jobInput(id, 0));
        yield* before.system.tell(jobAddress(id), {
          type: "schedule",
          at: 0,
          workerId: "w1",
          acceptBy: 60_000,
        });
      }
      yield* Scope.close(first, Exit.void);
      // As the build before delayed jobs wrote them: its version, no `runAt` in the context.
      const asWrittenBy = (id: string, version: string) =>
        Effect.gen(function* () {
          const r = (yield* store.load(jobAddress(id)))!;
          const { runAt: _, ...context } = r.snapshot.context as Record<string, unknown>;
          yield* store.saveBatch([{ ...r, version, snapshot: { ...r.snapshot, context } }]);
        });
      expect(hodeiBehaviours.job.reads).toContain("1:87f640d6fa5e");
      yield* asWrittenBy("V1", "1:87f640d6fa5e");
      yield* asWrittenBy("V2", "1:000000000000");

      const after = yield* harness({ store }).pipe(Scope.extend(yield* Scope.make()));
      expect(yield* after.system.recover("job")).toBe(1);
      const a = jobAddress("V1");
      yield* after.system.tell(a, { type: "started", at: 1, attempt: 1 });
      yield* after.system.tell(a, { type: "succeeded", at: 2, attempt: 1, exitCode: 0 });
      yield* after.system.settled;
      expect(after.states(a)).toEqual(["running", "succeeded"]);
      // V2 was not recovered (1, not 2); a message for it does not bring it back either.
      yield* Effect.exit(after.system.tell(jobAddress("V2"), { type: "cancel", at: 3 }));
      yield* after.system.settled;
      expect(after.states(jobAddress("V2"))).toEqual([]);
    }),
  );

  it.effect("resumes a worker snapshot of the build before `jobs_changed`, and takes it", () =>
    Effect.gen(function* () {
      const store = makeMemorySnapshotStore();
      const first = yield* Scope.make();
      const before = yield* harness({ store }).pipe(Scope.extend(first));
      const w = workerAddress("wv");
      yield* before.system.spawn(w, { workerId: "wv", heartbeatTimeoutMs: 1_000_000, at: 0 });
      yield* before.system.tell(w, { type: "registered", at: 0, jobs: [] });
      yield* before.system.tell(w, { type: "job_assigned", at: 1, jobId: "x" });
      // Draining (committed) with its job.
      yield* before.system.tell(w, { type: "drain", at: 2 });
      yield* Scope.close(first, Exit.void);
      const r = (yield* store.load(w))!;
      expect(hodeiBehaviours.worker.reads).toContain("1:c81c742d47d1");
      yield* store.saveBatch([{ ...r, version: "1:c81c742d47d1" }]);

      const after = yield* harness({ store }).pipe(Scope.extend(yield* Scope.make()));
      expect(yield* after.system.recover("worker")).toBe(1);
      yield* after.system.tell(w, { type: "jobs_changed", at: 3, changes: [["x", false]] });
      yield* after.system.settled;
      expect(((yield* after.system.snapshot(w)) as { value: string }).value).toBe("offline");
    }),
  );

  it.effect(
    "delivers `first` to each recovered actor before a deadline that passed meanwhile",
    () =>
      Effect.gen(function* () {
        const store = makeMemorySnapshotStore();
        const first = yield* Scope.make();
        const before = yield* harness({ store }).pipe(Scope.extend(first));
        const a = jobAddress("R3");
        yield* before.system.spawn(a, jobInput("R3", 0));
        yield* before.system.tell(a, { type: "schedule", at: 0, workerId: "w1", acceptBy: 5_000 });
        yield* Scope.close(first, Exit.void);

        yield* TestClock.adjust("10 seconds");
        const after = yield* harness({ store }).pipe(Scope.extend(yield* Scope.make()));
        const grace = (at: number) => ({ type: "recovered" as const, at, graceUntil: at + 30_000 });
        expect(yield* after.system.recover("job", grace)).toBe(1);
        yield* after.system.settled;
        // The agent has until the grace to report: the passed acceptance deadline waits for it.
        expect(after.states(a)).toEqual([]);
        yield* TestClock.adjust("30 seconds");
        yield* after.system.settled;
        expect(after.states(a)).toEqual(["retry_wait"]);
      }),
  );
});

describe("spawning while a commit is in flight", () => {
  it.live("keeps the new actor for the next commit and performs its effects only after it", () =>
    Effect.gen(function* () {
      const inner = makeMemorySnapshotStore();
      const committed = new Set<string>();
      // A slow store: each commit takes a while, so spawns land while one is in flight.
      const store: SnapshotStore = {
        ...inner,
        saveBatch: (records) =>
          Effect.sleep("20 millis").pipe(
            Effect.zipRight(inner.saveBatch(records)),
            Effect.tap(() => records.forEach((r) => committed.add(r.address))),
          ),
      };
      const early: string[] = [];
      const system = yield* makeActorSystem({
        behaviours: hodeiBehaviours,
        store,
        onEffect: (from) => {
          if (!committed.has(from)) early.push(from);
        },
      });
      yield* system.spawn(jobAddress("S1"), jobInput("S1", 0));
      yield* Effect.sleep("5 millis");
      yield* system.spawn(jobAddress("S2"), jobInput("S2", 0));
      yield* system.settled;
      yield* system.tell(jobAddress("S2"), { type: "cancel", at: 1 });
      yield* system.settled;
      expect(early).toEqual([]);
      expect((yield* inner.load("job/S2"))?.snapshot.value).toBe("cancelled");
    }).pipe(Effect.scoped),
  );
});
