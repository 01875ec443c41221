/**
 * The supervisor core without a transport: a scripted agent stands in for HWP (it answers the
 * gateway's pushes by calling `inbound`), on the memory store and the TestClock.
 */
import { describe, expect, it } from "@effect/vitest";
import { Effect, Either, Exit, Scope, TestClock } from "effect";
import { makeMemoryBus } from "../src/bus/index.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { makeSupervisorCore } from "../src/supervisor/core.ts";
import { workerAddress } from "../src/supervisor/kinds.ts";
import { jobEvents } from "../src/supervisor/topics.ts";
import { capacity, registerWorker, setupCore, spec, telemetry } from "./fixtures/core-harness.ts";

const setup = (config: object = {}) => setupCore({ config });

describe("supervisor core", () => {
  it.scoped("runs a job from submit to a durable success through an agent's reports", () =>
    Effect.gen(function* () {
      const { core, assigned, register, state } = yield* setup();
      const { workerId } = yield* register("agent-1");
      const { job, created } = yield* core.submit(spec("hello"));
      expect(created).toBe(true);
      yield* core.settled;
      expect(assigned.map(([w, a]) => [w, a.jobId, a.attempt])).toEqual([[workerId, job.id, 1]]);
      yield* core.inbound.started(workerId, job.id, 1);
      expect(yield* state(job.id)).toBe("running");
      yield* core.inbound.result(workerId, job.id, 1, { kind: "succeeded", exitCode: 0 });
      // The result is acknowledged only once durable: the row already says so.
      expect(yield* state(job.id)).toBe("succeeded");
      expect(core.liveJobs()).toBe(0);
      expect(core.scheduler.reservations()).toBe(0);
      // The agent missed the acknowledgement and sends the result again: acknowledged again.
      yield* core.inbound.result(workerId, job.id, 1, { kind: "succeeded", exitCode: 0 });
      const other = yield* Effect.either(
        core.inbound.result(workerId, job.id, 2, { kind: "failed", error: "x" }),
      );
      expect(Either.isLeft(other) && other.left._tag).toBe("StaleAttempt");
      expect(yield* state(job.id)).toBe("succeeded");
    }),
  );

  it.scoped(
    "steps jobs and workers through their compiled machines, pipelines through XState",
    () =>
      Effect.gen(function* () {
        const { core } = yield* setup();
        // What the supervisor logs at start-up, so an operator sees how each kind runs.
        expect(core.machines).toEqual({
          job: "compiled",
          worker: "compiled",
          pipeline: "xstate: state 'running' takes the wildcard event '*'",
        });
      }),
  );

  it.scoped("takes an agent's reports in the order they were started, without waiting", () =>
    Effect.gen(function* () {
      const { core, store, register } = yield* setup();
      const { workerId } = yield* register("agent-1");
      const { job } = yield* core.submit(spec("quick"));
      yield* core.settled;
      // What a session does with a JobAccepted and the JobResult right behind it: both handed
      // on at once; the job takes them in that order, and both are answered after one commit.
      const commits = store.stats().commits;
      yield* Effect.all(
        [
          core.inbound.started(workerId, job.id, 1),
          core.inbound.result(workerId, job.id, 1, { kind: "succeeded", exitCode: 0 }),
        ],
        { concurrency: "unbounded" },
      );
      const done = yield* store.jobs.get(job.id);
      expect(done.transitions.map((t) => t.state)).toEqual([
        "queued",
        "scheduled",
        "running",
        "succeeded",
      ]);
      expect(store.stats().commits - commits).toBe(1);
    }),
  );

  it.scoped("places nothing on a registered worker until its session is up", () =>
    Effect.gen(function* () {
      const { core, assigned } = yield* setup();
      const r = yield* core.inbound.register({
        name: "a",
        capacity: capacity(),
        labels: {},
        handlers: [],
        running: [],
      });
      yield* core.submit(spec("waits"));
      yield* core.settled;
      expect(assigned).toEqual([]);
      yield* core.inbound.heartbeat(r.workerId, telemetry);
      yield* core.settled;
      expect(assigned.map(([w]) => w)).toEqual([r.workerId]);
    }),
  );

  it.scoped("refuses a stale attempt's result and bad specs, changing nothing", () =>
    Effect.gen(function* () {
      const { core, register, state } = yield* setup();
      const { workerId } = yield* register("agent-1");
      const { job } = yield* core.submit(spec("x"));
      yield* core.settled;
      const stale = yield* Effect.either(
        core.inbound.result(workerId, job.id, 7, { kind: "succeeded" }),
      );
      expect(Either.isLeft(stale) && stale.left._tag).toBe("StaleAttempt");
      expect(yield* state(job.id)).toBe("scheduled");
      const bad = yield* Effect.either(core.submit({ name: "x", comand: { argv: ["true"] } }));
      expect(Either.isLeft(bad) && bad.left._tag).toBe("InvalidInput");
      const unknown = yield* Effect.either(
        core.inbound.started(workerId, "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1),
      );
      expect(Either.isLeft(unknown) && unknown.left._tag).toBe("NotFound");
    }),
  );

  it.scoped("places a lost worker's job again on another worker after the heartbeat timeout", () =>
    Effect.gen(function* () {
      const { core, assigned, register, state } = yield* setup({ heartbeatTimeoutMs: 10_000 });
      const first = yield* register("agent-1");
      const { job } = yield* core.submit(spec("survivor", { retry: { maxAttempts: 2 } }));
      yield* core.settled;
      yield* core.inbound.started(first.workerId, job.id, 1);
      const second = yield* register("agent-2");
      // Only the second agent keeps heartbeating.
      for (let t = 0; t < 3; t++) {
        yield* TestClock.adjust("4 seconds");
        yield* core.inbound.heartbeat(second.workerId, telemetry);
        yield* core.settled;
      }
      const last = assigned.at(-1)!;
      expect(last[0]).toBe(second.workerId);
      expect(last[1].attempt).toBe(2);
      yield* core.inbound.started(second.workerId, job.id, 2);
      yield* core.inbound.result(second.workerId, job.id, 2, { kind: "succeeded" });
      expect(yield* state(job.id)).toBe("succeeded");
    }),
  );

  it.scoped(
    "ends a job at once when its agent reconnects without it: again with attempts left, failed on its last",
    () =>
      Effect.gen(function* () {
        const { core, register, state, store } = yield* setup({ lostWorkerGraceMs: 60_000 });
        const { workerId } = yield* register("agent-1");
        const last = (yield* core.submit(spec("last"))).job;
        const again = (yield* core.submit(spec("again", { retry: { maxAttempts: 2 } }))).job;
        yield* core.settled;
        yield* core.inbound.started(workerId, last.id, 1);
        yield* core.inbound.started(workerId, again.id, 1);
        // A new session of the same agent (it restarted) running neither.
        yield* core.inbound.register({
          workerId,
          name: "agent-1",
          capacity: capacity(),
          labels: {},
          handlers: [],
          running: [],
        });
        yield* core.settled;
        // No lost-worker grace to wait out: the worker is back, and its report is the truth.
        expect(yield* state(last.id)).toBe("failed");
        expect((yield* store.jobs.get(last.id)).result?.error).toBe(
          "its worker came back without it (the agent no longer ran it)",
        );
        expect(yield* state(again.id)).toBe("retry_wait");
      }),
  );

  it.scoped("cancels a running job on its agent and ends cancelled when the agent confirms", () =>
    Effect.gen(function* () {
      const { core, cancelled, register, state } = yield* setup();
      const { workerId } = yield* register("agent-1");
      const { job } = yield* core.submit(spec("long"));
      yield* core.settled;
      yield* core.inbound.started(workerId, job.id, 1);
      yield* core.cancel(job.id);
      yield* core.settled;
      expect(cancelled).toEqual([job.id]);
      expect(yield* state(job.id)).toBe("cancelling");
      yield* core.inbound.result(workerId, job.id, 1, { kind: "cancelled" });
      expect(yield* state(job.id)).toBe("cancelled");
    }),
  );
});

/** A supervisor on `store` in `scope` (closed to stop it), its agents answering every push. */
const firstLife = (store: ReturnType<typeof makeMemoryStore>, scope: Scope.Scope) =>
  Effect.flatMap(makeMemoryBus, (bus) => makeSupervisorCore({ store, bus })).pipe(
    Scope.extend(scope),
    Effect.tap((core) =>
      core.attachGateway({ assign: () => true, cancel: () => true, drain: () => true }),
    ),
  );

describe("supervisor core: recovery", () => {
  it.scoped(
    "gives each worker the jobs its job actors place on it (not committed one by one)",
    () =>
      Effect.gen(function* () {
        const store = makeMemoryStore();
        const first = yield* Scope.make();
        const core = yield* firstLife(store, first);
        const { workerId } = yield* registerWorker(core, "a");
        const jobs: string[] = [];
        for (const name of ["one", "two", "three"]) {
          jobs.push((yield* core.submit(spec(name))).job.id);
          yield* core.settled;
        }
        yield* core.inbound.started(workerId, jobs[0]!, 1);
        yield* core.inbound.result(workerId, jobs[0]!, 1, { kind: "succeeded", exitCode: 0 });
        yield* core.settled;
        yield* Scope.close(first, Exit.void);

        const again = yield* makeSupervisorCore({ store, bus: yield* makeMemoryBus });
        yield* again.settled;
        const worker = yield* again.system.snapshot(workerAddress(workerId));
        expect([...(worker?.context.jobs ?? [])].sort()).toEqual([jobs[1]!, jobs[2]!].sort());
        expect(worker?.value).toBe("busy");
      }),
  );

  it.scoped("queues again what waited, announcing nothing: no state was entered", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore();
      const first = yield* Scope.make();
      const core = yield* firstLife(store, first);
      const jobs: string[] = [];
      for (const name of ["one", "two"]) jobs.push((yield* core.submit(spec(name))).job.id);
      yield* core.settled;
      yield* Scope.close(first, Exit.void);

      // Followers (metrics, event streams) of the new supervisor, there before it recovers.
      const bus = yield* makeMemoryBus;
      const events = yield* bus.subscribe(jobEvents, { capacity: 64 });
      const again = yield* makeSupervisorCore({ store, bus });
      again.attachGateway({ assign: () => true, cancel: () => true, drain: () => true });
      yield* again.settled;
      expect(again.scheduling.queued()).toBe(2);
      expect(events.size).toBe(0);

      // Placed once a worker comes: those are transitions, and announced.
      yield* registerWorker(again, "a");
      yield* again.settled;
      const seen: Array<readonly [string, string]> = [];
      while (events.size > 0) {
        const m = yield* events.take;
        seen.push([m.jobId, m.state]);
      }
      expect(seen.sort()).toEqual(jobs.map((id) => [id, "scheduled"] as const).sort());
    }),
  );
});
