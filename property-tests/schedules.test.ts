/**
 * Property: a cron schedule fires exactly once per due time its catch-up policy keeps, across
 * random stops and starts of the supervisor and random crashes between a firing and the commit
 * of the schedule's progress, on the TestClock.
 *
 * fast-check draws the policy (`none`, `latest`, `all`), when the supervisor is down (random
 * stop times and downtimes) and which passes lose their final commit (as a crash right after
 * the jobs were made would). The clock then walks second by second (the schedule fires every
 * second) and to every stop and start; at each instant a running supervisor makes a pass. At
 * the end, with the jobs the store holds (by their idempotency key):
 *
 * - no due time has two jobs, and no job is for a time that is not a due time;
 * - `all`: every due time has its job (missed ones made at the next start);
 * - `latest`: every due time while a supervisor was up has its job, and of the ones due while
 *   none was, exactly the newest before each start;
 * - `none` (grace 0): exactly the due times while a supervisor was up.
 */
import fc from "fast-check";
import { Effect, Exit, Scope, TestClock, TestContext } from "effect";
import { describe, expect, it } from "vitest";
import { makeMemoryBus } from "../src/bus/index.ts";
import { StoreError, type Store } from "../src/persistence/index.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { makeSupervisorCore, type SupervisorCore } from "../src/supervisor/core.ts";

const t0 = 1_700_000_000_300;
const end = t0 + 30_000;

const scenario = fc.record({
  catchUp: fc.constantFrom("none" as const, "latest" as const, "all" as const),
  /** [stop at (ms after t0), down for (ms)]. */
  downs: fc.array(
    fc.tuple(fc.integer({ min: 1, max: 28_000 }), fc.integer({ min: 0, max: 6_000 })),
    { maxLength: 4 },
  ),
  /** Passes (by their instant's index) whose commit of the schedule's progress is lost. */
  crashes: fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** The store, with the schedules' progress commit failing when `lose()` says so. */
const flaky = (store: Store, lose: () => boolean): Store => ({
  ...store,
  schedules: {
    ...store.schedules,
    update: (records) =>
      lose()
        ? Effect.fail(new StoreError({ operation: "schedules.update", cause: new Error("crash") }))
        : store.schedules.update(records),
  },
});

const run = (s: Scenario) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(t0);
    const inner = makeMemoryStore();
    let losing = false;
    const store = flaky(inner, () => losing);
    let scope: Scope.CloseableScope | undefined;
    let core: SupervisorCore | undefined;
    const start = Effect.gen(function* () {
      scope = yield* Scope.make();
      core = yield* Effect.flatMap(makeMemoryBus, (bus) =>
        makeSupervisorCore({ store, bus, config: { scheduleGraceMs: 0 } }),
      ).pipe(Scope.extend(scope));
    });
    const stop = Effect.gen(function* () {
      yield* Scope.close(scope!, Exit.void);
      core = undefined;
    });

    yield* start;
    yield* core!.schedules.create({
      name: "tick",
      cron: "* * * * * *",
      job: { name: "tick", command: { argv: ["true"] } },
      overlap: "allow",
      catchUp: s.catchUp,
    });

    // Down periods, merged and kept apart from each other.
    const downs: Array<[number, number]> = [];
    for (const [at, len] of [...s.downs].sort((a, b) => a[0] - b[0])) {
      const from = t0 + at;
      const prev = downs.at(-1);
      if (prev !== undefined && from <= prev[1]) continue;
      downs.push([from, Math.min(from + len, end - 1)]);
    }
    const instants = new Set<number>();
    for (let t = Math.ceil(t0 / 1000) * 1000; t <= end; t += 1000) instants.add(t);
    for (const [a, b] of downs) instants.add(a).add(b);
    instants.add(end);

    const ups: Array<[number, number]> = [];
    let upSince = t0;
    let i = 0;
    for (const t of [...instants].sort((a, b) => a - b)) {
      yield* TestClock.setTime(t);
      const down = downs.find(([a]) => a === t);
      const back = downs.find(([, b]) => b === t);
      if (back !== undefined && core === undefined) {
        yield* start;
        upSince = t;
      }
      if (core !== undefined) {
        losing = s.crashes.includes(i++);
        yield* Effect.ignore(core.schedules.pass);
        losing = false;
      }
      if (down !== undefined && core !== undefined && down[1] > down[0]) {
        ups.push([upSince, t]);
        yield* stop;
      }
    }
    if (core === undefined) {
      yield* start;
      upSince = end;
    }
    yield* core!.schedules.pass;
    ups.push([upSince, end]);
    yield* stop;

    // What the store holds: one job per firing key.
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = yield* inner.jobs.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      keys.push(...page.jobs.map((j) => j.spec.idempotencyKey ?? "none"));
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    expect(new Set(keys).size).toBe(keys.length);
    const fired = keys
      .map((k) => Date.parse(k.slice("schedule/tick/".length)))
      .sort((a, b) => a - b);

    const due: number[] = [];
    for (let t = Math.floor(t0 / 1000) * 1000 + 1000; t <= end; t += 1000) due.push(t);
    const upAt = (t: number) => ups.some(([a, b]) => a <= t && t <= b);
    const expected = due.filter((t) => {
      if (s.catchUp === "all" || upAt(t)) return true;
      if (s.catchUp === "none") return false;
      // `latest`: the newest due time at or before the start that ended its down period.
      const start = ups.find(([a]) => a >= t)?.[0];
      return start !== undefined && due.filter((d) => d <= start).at(-1) === t;
    });
    expect(fired).toEqual(expected);
  });

describe("cron schedules", () => {
  it("fire exactly once per due time the catch-up policy keeps, across restarts and crashes", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        Effect.runPromise(run(s).pipe(Effect.provide(TestContext.TestContext))),
      ),
      { numRuns: 40 },
    );
  }, 300_000);
});
