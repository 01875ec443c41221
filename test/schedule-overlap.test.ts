/**
 * A schedule's overlap policy, on the TestClock with a scripted agent: `skip` makes no firing
 * while the previous one's job is still going and fires again once it ended; `cancel_previous`
 * cancels the job still going and makes the new one; `allow` makes every one. Pause stops the
 * firings; resume goes on from then (what was due while paused is not made).
 */
import { describe, expect, it } from "@effect/vitest";
import { Effect, TestClock } from "effect";
import { setupCore } from "./fixtures/core-harness.ts";

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
});
