/**
 * Placing at submit: a job submitted while the scheduler is idle and has room is created
 * `scheduled` (row and actor record in one commit) and pushed to its agent before `submit`
 * returns; otherwise it is queued as before, behind the jobs already waiting.
 */
import { describe, expect, it } from "@effect/vitest";
import { Cause, Effect, Either, Exit, Scope } from "effect";
import { makeMemoryBus } from "../src/bus/index.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { StoreError, type Store } from "../src/persistence/index.ts";
import { makeSupervisorCore } from "../src/supervisor/core.ts";
import { jobEvents } from "../src/supervisor/topics.ts";
import { jobAddress } from "../src/supervisor/kinds.ts";
import { setupCore, spec } from "./fixtures/core-harness.ts";

/** One worker with room for one job, its session up, the core settled. */
const setup = (config: object = {}, store?: Store) =>
  Effect.gen(function* () {
    const harness = yield* setupCore({ config, maxJobs: 1, ...(store ? { store } : {}) });
    const { workerId } = yield* harness.register("a");
    yield* harness.core.settled;
    return { ...harness, workerId };
  });

describe("placing a job as it is submitted", () => {
  it.scoped("creates it scheduled and pushes it before submit returns, when there is room", () =>
    Effect.gen(function* () {
      const { core, store, assigned, workerId } = yield* setup();
      const events = yield* core.bus.subscribe(jobEvents, { capacity: 16 });
      const { job } = yield* core.submit(spec("now"));
      // No round has run: the commit that created the job placed it.
      expect(yield* store.jobs.get(job.id)).toMatchObject({ state: "scheduled", workerId });
      expect(assigned.map(([w, a]) => [w, a.jobId, a.attempt])).toEqual([[workerId, job.id, 1]]);
      expect(core.scheduler.reservations()).toBe(1);
      // Followers still see it queued first (the accepted-jobs metric counts that).
      const seen: string[] = [];
      events.drain(16, (e) => seen.push(e.state));
      expect(seen).toEqual(["queued", "scheduled"]);
      yield* core.inbound.started(workerId, job.id, 1);
      yield* core.inbound.result(workerId, job.id, 1, { kind: "succeeded", exitCode: 0 });
      expect((yield* store.jobs.get(job.id)).state).toBe("succeeded");
      expect(core.scheduler.reservations()).toBe(0);
    }),
  );

  it.scoped("queues it behind the jobs already waiting, and places them in order", () =>
    Effect.gen(function* () {
      const { core, assigned, workerId, state } = yield* setup();
      const first = (yield* core.submit(spec("first"))).job.id;
      const second = (yield* core.submit(spec("second"))).job.id; // no room: queued
      const third = (yield* core.submit(spec("third"))).job.id; // the queue is not empty
      expect([yield* state(second), yield* state(third)]).toEqual(["queued", "queued"]);
      yield* core.settled;
      expect(assigned.map(([, a]) => a.jobId)).toEqual([first]);
      yield* core.inbound.result(workerId, first, 1, { kind: "succeeded" });
      yield* core.settled;
      expect(assigned.map(([, a]) => a.jobId)).toEqual([first, second]);
      expect(yield* state(third)).toBe("queued");
    }),
  );

  it.scoped("gives the reservation back when the job already existed", () =>
    Effect.gen(function* () {
      const { core, assigned } = yield* setup({}, makeMemoryStore());
      const once = spec("once", { idempotencyKey: "k1" });
      const a = yield* core.submit(once);
      yield* core.inbound.result(assigned[0]![0], a.job.id, 1, { kind: "succeeded" });
      yield* core.settled;
      expect(core.scheduler.reservations()).toBe(0);
      const b = yield* core.submit(once);
      expect(b).toMatchObject({ created: false, job: { id: a.job.id, state: "succeeded" } });
      yield* core.settled;
      expect(core.scheduler.reservations()).toBe(0);
      expect(assigned).toHaveLength(1);
      // The capacity is really free: the next job is placed at once.
      const c = yield* core.submit(spec("next"));
      expect(c.job.id).not.toBe(a.job.id);
      expect(assigned.map(([, x]) => x.jobId)).toEqual([a.job.id, c.job.id]);
    }),
  );

  it.scoped("gives the reservation back when the commit fails, and answers with its error", () =>
    Effect.gen(function* () {
      const memory = makeMemoryStore();
      let failing = true;
      const store: Store = {
        ...memory,
        jobs: {
          ...memory.jobs,
          createNow: (job, placed, done) =>
            failing
              ? done(Either.left(new StoreError({ operation: "jobs.create", cause: "disk full" })))
              : memory.jobs.createNow(job, placed, done),
        },
      };
      const { core, assigned } = yield* setup({}, store);
      const told: Array<Exit.Exit<unknown, unknown>> = [];
      core.submitNow(spec("doomed"), undefined, (exit) => told.push(exit));
      expect(told).toHaveLength(1);
      expect(Exit.isFailure(told[0]!) && Cause.squash(told[0].cause)).toMatchObject({
        _tag: "StoreError",
      });
      expect(yield* memory.jobs.list({})).toMatchObject({ jobs: [] });
      yield* core.settled;
      expect(core.scheduler.reservations()).toBe(0);
      expect(assigned).toEqual([]);
      // The capacity is really free: the next job is placed at once.
      failing = false;
      const next = yield* core.submit(spec("next"));
      expect(assigned.map(([, a]) => a.jobId)).toEqual([next.job.id]);
    }),
  );

  it.scoped(
    "answers a spec it cannot read with InvalidInput, one that throws as a defect; stores nothing",
    () =>
      Effect.gen(function* () {
        const { core, store } = yield* setup();
        const told: Array<Exit.Exit<unknown, unknown>> = [];
        core.submitNow({ name: "x", comand: { argv: ["true"] } }, undefined, (e) => told.push(e));
        expect(told).toHaveLength(1);
        expect(Exit.isFailure(told[0]!) && Cause.squash(told[0].cause)).toMatchObject({
          _tag: "InvalidInput",
        });
        expect(yield* store.jobs.list({})).toMatchObject({ jobs: [] });
        expect(core.scheduler.reservations()).toBe(0);
        // Input that throws when read is told as a defect, not thrown at the caller.
        const evil = {
          get name(): string {
            throw new Error("a getter's bug");
          },
          command: { argv: ["true"] },
        };
        core.submitNow(evil, undefined, (e) => told.push(e));
        expect(told).toHaveLength(2);
        expect(Exit.isFailure(told[1]!) && Cause.isDie(told[1].cause)).toBe(true);
        expect(yield* store.jobs.list({})).toMatchObject({ jobs: [] });
      }),
  );

  it.scoped("recovers a job placed at submit as scheduled on its worker", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore();
      const scope = yield* Scope.make();
      const { core, workerId } = yield* setup({}, store).pipe(Scope.extend(scope));
      const { job } = yield* core.submit(spec("kept"));
      yield* Scope.close(scope, Exit.void);
      const again = yield* makeSupervisorCore({ store, bus: yield* makeMemoryBus });
      const snapshot = yield* again.system.snapshot(jobAddress(job.id));
      expect(snapshot?.value).toBe("scheduled");
      expect(snapshot?.context.workerId).toBe(workerId);
      expect(again.scheduler.queued()).toBe(0);
    }),
  );

  it.scoped("with placeOnSubmit off, creates every job queued first", () =>
    Effect.gen(function* () {
      const { core, assigned, state } = yield* setup({ placeOnSubmit: false });
      const { job } = yield* core.submit(spec("later"));
      expect(yield* state(job.id)).toBe("queued");
      expect(assigned).toEqual([]);
      yield* core.settled;
      expect(yield* state(job.id)).toBe("scheduled");
    }),
  );
});
