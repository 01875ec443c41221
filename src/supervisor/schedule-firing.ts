/**
 * One firing of a schedule: which due times a pass makes (the catch-up policy), and making one
 * (the overlap policy, then the job or run, keyed by its due time).
 *
 * Exactly once: a firing's job has the idempotency key `schedule/<name>/<due time>` and its run
 * a run id made from that key, so making it again finds the one already made ("duplicate");
 * `firedUntil` moves past a due time only after its firing is made. A crash between the two
 * makes the firing again at the next start, and finds it made.
 */
import { Effect, Either, Schema } from "effect";
import { timesBetween } from "../domain/cron.ts";
import { JobSpec } from "../domain/job-spec.ts";
import { isTerminalJobState } from "../domain/job-state.ts";
import type { PipelineRunId } from "../domain/ids.ts";
import {
  firingKey,
  firingRunId,
  maxCatchUp,
  type LastFiring,
  type ScheduleRecord,
} from "../domain/schedule.ts";
import type { Store } from "../persistence/index.ts";
import type { SupervisorCore } from "./core.ts";

export type FireOutcome = "fired" | "duplicate" | "skipped_overlap" | "missed" | "failed";

export interface Firing {
  readonly at: number;
  readonly outcome: FireOutcome;
  readonly last: LastFiring | null;
  readonly error?: string;
}

/**
 * The due times of `(record.firedUntil, now]` to make, and how many to drop as missed: the
 * newest time is on time if it is at most `graceMs` old; older ones, and a late newest one,
 * were missed, and `catchUp` says which of those are made.
 */
export const dueFirings = (
  record: ScheduleRecord,
  now: number,
  graceMs: number,
): { readonly make: number[]; readonly missed: number } => {
  const { spec } = record;
  const cron = { cron: spec.cron, timezone: spec.timezone, seed: spec.name };
  const { times, more } = timesBetween(cron, record.firedUntil, now, maxCatchUp);
  const newest = times.at(-1);
  if (newest === undefined) return { make: [], missed: 0 };
  const extra = more ? 1 : 0;
  switch (spec.catchUp) {
    case "all":
      return { make: times, missed: extra };
    case "latest":
      return { make: [newest], missed: times.length - 1 + extra };
    case "none":
      return now - newest <= graceMs
        ? { make: [newest], missed: times.length - 1 + extra }
        : { make: [], missed: times.length + extra };
  }
};

export interface FiringDeps {
  readonly core: Pick<SupervisorCore, "submit" | "cancel" | "pipelines">;
  readonly store: Store;
}

/** Whether the firing `last` made is still going (its job not final, its run running). */
const stillGoing = (deps: FiringDeps, last: LastFiring) =>
  last.kind === "job"
    ? deps.store.jobs.get(last.id).pipe(
        Effect.map((j) => !isTerminalJobState(j.state)),
        Effect.orElseSucceed(() => false),
      )
    : deps.store.pipelines.getRun(last.id).pipe(
        Effect.map((r) => r.state === "running"),
        Effect.orElseSucceed(() => false),
      );

const stop = (deps: FiringDeps, last: LastFiring) =>
  last.kind === "job"
    ? Effect.ignore(deps.core.cancel(last.id))
    : Effect.ignore(deps.core.pipelines.cancel(last.id));

const encodeJob = Schema.encodeSync(JobSpec);

/** Makes the firing of `record` due at `at` (`overlap` as the schedule says, unless given). */
export const fire = (
  deps: FiringDeps,
  record: ScheduleRecord,
  at: number,
  overlap = record.spec.overlap,
): Effect.Effect<Firing> =>
  Effect.gen(function* () {
    const { spec, last } = record;
    if (overlap !== "allow" && last !== null && (yield* stillGoing(deps, last))) {
      if (overlap === "skip") return { at, outcome: "skipped_overlap" as const, last };
      yield* stop(deps, last);
    }
    if (spec.job !== undefined) {
      const made = yield* Effect.either(
        deps.core.submit({ ...encodeJob(spec.job), idempotencyKey: firingKey(spec.name, at) }),
      );
      if (Either.isLeft(made))
        return { at, outcome: "failed" as const, last, error: made.left.message };
      const { job, created } = made.right;
      return {
        at,
        outcome: created ? ("fired" as const) : ("duplicate" as const),
        last: { at, kind: "job" as const, id: job.id },
      };
    }
    const runId = firingRunId(spec.name, at) as PipelineRunId;
    const existing = yield* Effect.either(deps.store.pipelines.getRun(runId));
    const next = { at, kind: "run" as const, id: runId };
    if (Either.isRight(existing)) return { at, outcome: "duplicate" as const, last: next };
    const started = yield* Effect.either(
      deps.core.pipelines.start(spec.pipeline!, spec.input ?? null, runId),
    );
    return Either.isLeft(started)
      ? { at, outcome: "failed" as const, last, error: started.left.message }
      : { at, outcome: "fired" as const, last: next };
  });
