/**
 * A schedule's overlap policy, on the TestClock with a scripted agent: `skip` makes no firing
 * while the previous one's job is still going and fires again once it ended; `cancel_previous`
 * cancels the job still going and makes the new one; `allow` makes every one. Pause stops the
 * firings; resume goes on from then (what was due while paused is not made). A pipeline
 * schedule starts one run per firing.
 */
import { describe, expect, it } from "@effect/vitest";
import { Effect, TestClock } from "effect";
import { firingRunId } from "../src/domain/schedule.ts";
import { fire } from "../src/supervisor/schedule-firing.ts";
import { setupCore } from "./fixtures/core-harness.ts";
import { approval } from "./fixtures/pipelines/two-step.ts";

const t0 = 1_700_000_000_500;

const every = (overlap: string) => ({
  name: `tick-${overlap}`,
  cron: "* * * * * *",
  job: { name: "tick", command: { argv: ["sleep", "60"] } },
  overlap,
  catchUp: "none",
});

const setup = (overlap: string) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(t0);
    const h = yield* setupCore({ config: { scheduleGraceMs: 0 } });
    yield* h.register("agent");
    yield* h.core.schedules.create(every(overlap));
    /** To the next whole second, then a pass: the firing due then is made. */
    const second = Effect.gen(function* () {
      yield* TestClock.adjust("1 second");
      yield* h.core.schedules.pass;
      yield* h.core.settled;
    });
    const jobs = h.store.jobs
      .list({ limit: 100 })
      .pipe(Effect.map((p) => p.jobs.map((j) => [j.spec.idempotencyKey!.slice(-13, -5), j.state])));
    return { ...h, second, jobs };
  });

describe("schedule overlap", () => {
  it.scoped("skip: no firing while the previous job goes on; the next one after it ended", () =>
    Effect.gen(function* () {
      const h = yield* setup("skip");
      yield* h.second;
      yield* h.second;
      yield* h.second;
      const [first] = h.assigned;
      expect(yield* h.jobs).toEqual([["22:13:21", "scheduled"]]);
      const { workerId, jobId, attempt } = { workerId: first![0], ...first![1] };
      yield* h.core.inbound.result(workerId, jobId, attempt, { kind: "succeeded", exitCode: 0 });
      yield* h.second;
      expect((yield* h.jobs).map(([, s]) => s)).toEqual(["succeeded", "scheduled"]);
      const last = (yield* h.core.schedules.get("tick-skip")).last;
      expect(last?.at).toBe(Date.parse("2023-11-14T22:13:24.000Z"));
    }),
  );

  it.scoped("cancel_previous: the job still going is cancelled, the new one made", () =>
    Effect.gen(function* () {
      const h = yield* setup("cancel_previous");
      yield* h.second;
      yield* h.second;
      const states = yield* h.jobs;
      expect(states.map(([, s]) => s)).toEqual(["cancelled", "scheduled"]);
      expect(h.cancelled).toEqual([h.assigned[0]![1].jobId]);
    }),
  );

  it.scoped("allow: every firing makes its job; pause stops them, resume goes on from then", () =>
    Effect.gen(function* () {
      const h = yield* setup("allow");
      yield* h.second;
      yield* h.second;
      expect(yield* h.jobs).toHaveLength(2);
      yield* h.core.schedules.pause("tick-allow");
      yield* h.second;
      yield* h.second;
      expect(yield* h.jobs).toHaveLength(2);
      yield* h.core.schedules.resume("tick-allow");
      yield* h.second;
      expect(yield* h.jobs).toHaveLength(3);
    }),
  );

  it.scoped(
    "a pipeline schedule starts one run per firing, its id made from the firing's key",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(t0);
        const h = yield* setupCore({ config: { scheduleGraceMs: 0 } });
        h.core.registry.register(approval);
        yield* h.core.schedules.create({
          name: "approvals",
          cron: "* * * * * *",
          pipeline: "approval",
          input: { who: "ops" },
          overlap: "allow",
        });
        for (let i = 0; i < 2; i++) {
          yield* TestClock.adjust("1 second");
          yield* h.core.schedules.pass;
        }
        const runs = (yield* h.store.pipelines.listRuns()).runs;
        const due = ["2023-11-14T22:13:21.000Z", "2023-11-14T22:13:22.000Z"];
        expect(runs.map((r) => r.id).sort()).toEqual(
          due.map((at) => firingRunId("approvals", Date.parse(at))).sort(),
        );
        expect(runs.map((r) => [r.pipeline, r.state])).toEqual([
          ["approval", "running"],
          ["approval", "running"],
        ]);
        // Made again (as after a crash before the schedule's commit): the same run, found made.
        const record = yield* h.store.schedules.get("approvals");
        const again = yield* fire({ core: h.core, store: h.store }, record, Date.parse(due[1]!));
        expect([again.outcome, again.last?.id]).toEqual([
          "duplicate",
          firingRunId("approvals", Date.parse(due[1]!)),
        ]);
        expect((yield* h.store.pipelines.listRuns()).runs).toHaveLength(2);
      }),
  );
});
