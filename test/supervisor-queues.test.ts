/**
 * Named queues in the supervisor core, on the TestClock: a job held by a rate limit is placed
 * by the scheduler actor's own timer when its slot opens — not a moment before, and with no
 * message or poll to prompt it — and its explanation counts down on the same clock. A pause
 * stored in the store holds the queue's jobs across a restart of the core.
 */
import { describe, expect, it } from "@effect/vitest";
import { Effect, Exit, Scope, TestClock } from "effect";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { setupCore, spec } from "./fixtures/core-harness.ts";

const placed = (assigned: ReadonlyArray<readonly [string, { jobId: string }]>) =>
  assigned.map(([, a]) => a.jobId);

describe("queues in the supervisor core", () => {
  it.scoped(
    "a rate limited job is placed by the scheduler's timer exactly when its slot opens",
    () =>
      Effect.gen(function* () {
        const { core, assigned, register } = yield* setupCore({
          config: { placeOnSubmit: false },
          maxJobs: 10,
        });
        yield* register("agent-1");
        const rateLimit = { key: "api.github", max: 2, perMs: 1_000 };
        const jobs = [];
        for (let i = 0; i < 5; i++)
          jobs.push((yield* core.submit(spec(`g${i}`, { rateLimit }))).job);
        yield* core.settled;
        expect(placed(assigned)).toEqual(jobs.slice(0, 2).map((j) => j.id));
        expect(core.scheduler.explain(jobs[2]!.id)?.reason).toBe(
          "rate limited: key `api.github`, next slot in 1000 ms",
        );
        yield* TestClock.adjust("580 millis");
        yield* core.settled;
        expect(core.scheduler.explain(jobs[2]!.id)?.reason).toBe(
          "rate limited: key `api.github`, next slot in 420 ms",
        );
        yield* TestClock.adjust("419 millis");
        yield* core.settled;
        expect(assigned).toHaveLength(2);
        yield* TestClock.adjust("1 millis");
        yield* core.settled;
        expect(placed(assigned)).toEqual(jobs.slice(0, 4).map((j) => j.id));
        yield* TestClock.adjust("1 second");
        yield* core.settled;
        expect(placed(assigned)).toEqual(jobs.map((j) => j.id));
      }),
  );

  it.scoped("a stored pause holds the queue's jobs after a restart; resume places them", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore();
      const first = yield* Scope.make();
      const before = yield* Scope.extend(setupCore({ store }), first);
      yield* before.core.queues.update("mail", { paused: true });
      const { job } = yield* before.core.submit(spec("m", { queue: "mail" }));
      yield* Scope.close(first, Exit.void);

      const { core, assigned, register, state } = yield* setupCore({ store });
      yield* register("agent-1");
      yield* core.settled;
      expect(yield* state(job.id)).toBe("queued");
      expect(core.queues.get("mail")).toMatchObject({ paused: true, queued: 1, running: 0 });
      expect(core.scheduler.explain(job.id)?.reason).toBe("queue `mail` is paused");
      yield* core.queues.update("mail", { paused: false });
      yield* core.settled;
      expect(placed(assigned)).toEqual([job.id]);
      expect(core.queues.get("mail")).toMatchObject({ paused: false, queued: 0, running: 1 });
    }),
  );
});
