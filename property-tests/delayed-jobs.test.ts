/**
 * Property: delayed jobs keep their time across restarts, on the TestClock.
 *
 * fast-check draws a handful of jobs, each delayed by `delayMs` or to a `runAt`, submitted alone
 * or in a batch (with an undelayed one among them), some cancelled while they wait, and random
 * supervisor stops and starts (the process down for a random while, the store kept). The clock
 * is moved to every due time, every stop and start and a few random instants; after each move
 * the supervisor settles (one pass of its timers and scheduler) and every job is checked:
 *
 * - before its due time a job is `delayed` (or `cancelled`, if cancelled), never queued, never
 *   assigned to a worker;
 * - at its due time, if a supervisor is up, it is no longer `delayed` after that one pass, and
 *   its `queued` line is stamped exactly with its due time; if none was up then, it is queued
 *   at the start of the next supervisor, exactly then;
 * - every assignment of a job comes at or after its due time;
 * - a job cancelled while delayed ends `cancelled` and is never queued nor assigned;
 * - a pending delayed job costs the live supervisor a timer, not a live actor.
 */
import fc from "fast-check";
import { Effect, Exit, Scope, TestClock, TestContext } from "effect";
import { describe, expect, it } from "vitest";
import { makeMemoryBus } from "../src/bus/index.ts";
import type { Job } from "../src/domain/job.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { jobAddress } from "../src/supervisor/kinds.ts";
import { makeSupervisorCore, type SupervisorCore } from "../src/supervisor/core.ts";
import { registerWorker } from "../test/fixtures/core-harness.ts";

interface Drawn {
  readonly delay: number;
  /** `runAt` (absolute, from t = 0) rather than `delayMs` (from its submission). */
  readonly absolute: boolean;
  readonly cancelAt: number | null;
}

const drawnJob: fc.Arbitrary<Drawn> = fc.record({
  delay: fc.integer({ min: 1, max: 6_000 }),
  absolute: fc.boolean(),
  cancelAt: fc.option(fc.integer({ min: 0, max: 6_000 }), { nil: null, freq: 3 }),
});

const scenario = fc.record({
  jobs: fc.array(drawnJob, { minLength: 1, maxLength: 8 }),
  batch: fc.boolean(),
  /** [stop at, down for]: the supervisor is stopped and started again. */
  restarts: fc.array(
    fc.tuple(fc.integer({ min: 1, max: 7_000 }), fc.integer({ min: 0, max: 2_500 })),
    {
      maxLength: 4,
    },
  ),
  probes: fc.array(fc.integer({ min: 0, max: 9_000 }), { maxLength: 6 }),
});

const specOf = (i: number, d: Drawn, submittedAt: number) => ({
  name: `delayed-${i}`,
  command: { argv: ["true"] },
  ...(d.absolute ? { runAt: new Date(submittedAt + d.delay).toISOString() } : { delayMs: d.delay }),
});

const run = (s: typeof scenario extends fc.Arbitrary<infer T> ? T : never) =>
  Effect.gen(function* () {
    const store = makeMemoryStore();
    const assignedAt = new Map<string, number[]>();
    let scope: Scope.CloseableScope | undefined;
    let core: SupervisorCore | undefined;
    let workers = 0;
    const start = Effect.gen(function* () {
      scope = yield* Scope.make();
      core = yield* Effect.flatMap(makeMemoryBus, (bus) =>
        makeSupervisorCore({ store, bus, config: { heartbeatTimeoutMs: 3_600_000 } }),
      ).pipe(Scope.extend(scope));
      const c = core;
      c.attachGateway({
        assign: (_w, a) => {
          const times = assignedAt.get(a.jobId) ?? [];
          times.push(c.system.now());
          assignedAt.set(a.jobId, times);
          return true;
        },
        cancel: () => true,
        drain: () => true,
      });
      yield* registerWorker(c, `w${workers++}`, 16);
      yield* c.settled;
    });
    const stop = Effect.gen(function* () {
      yield* core!.settled;
      yield* Scope.close(scope!, Exit.void);
      core = undefined;
    });
    const now = () => Effect.map(TestClock.currentTimeMillis, Number);

    yield* start;
    // Submitted at t = 0: the due time of each is its delay.
    const specs = s.jobs.map((d, i) => specOf(i, d, 0));
    const jobs: Job[] = s.batch
      ? yield* core!
          .submitBatch([...specs, { name: "now", command: { argv: ["true"] } }])
          .pipe(Effect.map((rs) => rs.slice(0, specs.length).map((r) => r.job)))
      : yield* Effect.forEach(specs, (spec) => core!.submit(spec).pipe(Effect.map((r) => r.job)));
    expect(jobs.map((j) => j.state)).toEqual(jobs.map(() => "delayed"));
    yield* core!.settled;
    // Waiting jobs are timers of the live supervisor, not live actors.
    for (const job of jobs) {
      expect(core!.system.timerOf(jobAddress(job.id))).toBe(s.jobs[jobs.indexOf(job)]!.delay);
    }
    expect(core!.liveJobs()).toBe(s.batch ? 1 : 0);

    type Event =
      | { at: number; kind: "stop"; downFor: number }
      | { at: number; kind: "cancel"; job: number }
      | { at: number; kind: "probe" };
    const events: Event[] = [
      ...s.restarts.map(([at, downFor]) => ({ at, kind: "stop" as const, downFor })),
      ...s.jobs.flatMap((d, job) =>
        d.cancelAt === null ? [] : [{ at: d.cancelAt, kind: "cancel" as const, job }],
      ),
      ...[...s.probes, ...s.jobs.map((d) => d.delay)].map((at) => ({ at, kind: "probe" as const })),
    ].sort((a, b) => a.at - b.at);

    const cancelledAt = new Map<number, number>();
    /** When a supervisor was up: [started, stopped or null], both ends included. */
    const ups: Array<[number, number | null]> = [[0, null]];
    let upAgainAt: number | null = null;
    const upAt = (x: number) => ups.some(([a, b]) => a <= x && (b === null || x <= b));
    /** When a job due at `due` must be queued: then, or as the next supervisor starts. */
    const queuedAtOf = (due: number): number | undefined =>
      upAt(due) ? due : ups.find(([a]) => a > due)?.[0];

    const check = Effect.gen(function* () {
      const t = yield* now();
      for (const [i, job] of jobs.entries()) {
        const due = s.jobs[i]!.delay;
        const stored = yield* store.jobs.get(job.id);
        const lines = stored.transitions;
        const queued = lines.find((l) => l.state === "queued");
        expect(lines[0]!.state).toBe("delayed");
        for (const a of assignedAt.get(job.id) ?? []) expect(a).toBeGreaterThanOrEqual(due);
        const cancelled = cancelledAt.get(i);
        if (cancelled !== undefined) {
          expect(queued).toBeUndefined();
          expect(assignedAt.get(job.id)).toBeUndefined();
          expect(stored.state).toBe("cancelled");
          continue;
        }
        const expected = queuedAtOf(due);
        if (expected === undefined || expected > t) {
          expect(stored.state).toBe("delayed");
        } else {
          expect(queued?.at).toBe(expected);
        }
      }
    });

    for (const e of events) {
      const t = yield* now();
      if (upAgainAt !== null && upAgainAt <= e.at) {
        yield* TestClock.adjust(upAgainAt - t);
        yield* start;
        ups.push([upAgainAt, null]);
        upAgainAt = null;
        yield* check;
      }
      const t2 = yield* now();
      if (e.at > t2) yield* TestClock.adjust(e.at - t2);
      if (core !== undefined) yield* core.settled;
      if (core !== undefined) yield* check;
      if (e.kind === "stop" && core !== undefined) {
        yield* stop;
        ups.at(-1)![1] = e.at;
        upAgainAt = e.at + e.downFor;
      } else if (e.kind === "cancel" && core !== undefined) {
        const job = jobs[e.job]!;
        const before = yield* store.jobs.get(job.id);
        if (before.state === "delayed") cancelledAt.set(e.job, e.at);
        yield* Effect.ignore(core.cancel(job.id));
        yield* core.settled;
        if (before.state === "delayed") {
          expect((yield* store.jobs.get(job.id)).state).toBe("cancelled");
        }
      }
      yield* check;
    }
    if (core === undefined) {
      const t = yield* now();
      if (upAgainAt !== null && upAgainAt > t) yield* TestClock.adjust(upAgainAt - t);
      yield* start;
      ups.push([yield* now(), null]);
    }
    // Past every due time with a supervisor up: nothing is left delayed.
    yield* TestClock.adjust(10_000);
    yield* core!.settled;
    for (const [i, job] of jobs.entries()) {
      const stored = yield* store.jobs.get(job.id);
      expect(stored.state).not.toBe("delayed");
      if (!cancelledAt.has(i))
        expect(stored.transitions.some((l) => l.state === "queued")).toBe(true);
    }
    yield* stop;
  });

describe("delayed jobs", () => {
  it("are queued at their time, never before, across random restarts", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        Effect.runPromise(run(s).pipe(Effect.provide(TestContext.TestContext))),
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
