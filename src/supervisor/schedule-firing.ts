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
import type { CronCursor } from "../domain/cron.ts";
import { JobSpec } from "../domain/job-spec.ts";
import { isTerminalJobState } from "../domain/job-state.ts";
import type { PipelineRunId } from "../domain/ids.ts";
import {
  firingKey,
  firingKeysAt,
  firingRunId,
  maxCatchUp,
  type LastFiring,
  type ScheduleRecord,
} from "../domain/schedule.ts";
import type { Store, StoreError } from "../persistence/index.ts";
import type { SupervisorCore } from "./core.ts";

export type FireOutcome = "fired" | "duplicate" | "skipped_overlap" | "missed" | "failed";

export interface Firing {
  readonly at: number;
  readonly outcome: FireOutcome;
  readonly last: LastFiring | null;
  readonly error?: string;
}

/**
 * The due times of `(record.firedUntil, now]` to make, how many to drop as missed, and the
 * first due time after `now`. The newest time is on time if it is at most `graceMs` old; older
 * ones, and a late newest one, were missed, and `catchUp` says which of those are made.
 * `nextAt`, the schedule's first due time after `firedUntil`, and `following`, the one after
 * it (both worked out before the pass), spare the common case (one time due, on time) any walk
 * through the expression: a step of cron-parser costs tens of microseconds, and a pass of a
 * thousand schedules would spend tens of milliseconds on them before making a job.
 */
export const dueFirings = (
  record: ScheduleRecord,
  cursor: CronCursor,
  nextAt: number,
  following: number | undefined,
  now: number,
  graceMs: number,
): { readonly make: number[]; readonly missed: number; readonly upcoming: number | undefined } => {
  const { times, more } =
    following === undefined || following > now
      ? { times: nextAt <= now ? [nextAt] : [], more: false }
      : cursor.between(record.firedUntil, now, maxCatchUp);
  const upcoming = following === undefined || following > now ? following : cursor.next(now, 1)[0];
  const newest = times.at(-1);
  if (newest === undefined) return { make: [], missed: 0, upcoming };
  const extra = more ? 1 : 0;
  switch (record.spec.catchUp) {
    case "all":
      return { make: times, missed: extra, upcoming };
    case "latest":
      return { make: [newest], missed: times.length - 1 + extra, upcoming };
    case "none":
      return now - newest <= graceMs
        ? { make: [newest], missed: times.length - 1 + extra, upcoming }
        : { make: [], missed: times.length + extra, upcoming };
  }
};

export interface FiringDeps {
  readonly core: Pick<SupervisorCore, "submit" | "submitSpecs" | "cancel" | "pipelines">;
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

/**
 * The overlap policy over a pass's due times: `allow` makes them all; `skip` and
 * `cancel_previous` make only the newest (the others would overlap it), and not at all under
 * `skip` while the previous firing's job or run is still going (`cancel_previous` cancels it).
 */
export const overlapping = (
  deps: FiringDeps,
  record: ScheduleRecord,
  make: ReadonlyArray<number>,
): Effect.Effect<Overlapped> =>
  Effect.gen(function* () {
    const known = overlapUnseen(record, make);
    if (known !== undefined) return known;
    const last = record.last!;
    const newest = make.at(-1)!;
    if (yield* stillGoing(deps, last)) {
      if (record.spec.overlap === "skip") return { make: [], skipped: make.length };
      yield* stop(deps, last);
    }
    return { make: [newest], skipped: make.length - 1 };
  });

export interface Overlapped {
  readonly make: ReadonlyArray<number>;
  readonly skipped: number;
}

/**
 * `overlapping` when it needs no look at the previous firing (`allow`, nothing due, or no
 * previous firing); undefined when it does. A pass decides most schedules with it, without
 * an effect each.
 */
export const overlapUnseen = (
  record: ScheduleRecord,
  make: ReadonlyArray<number>,
): Overlapped | undefined => {
  const newest = make.at(-1);
  if (record.spec.overlap === "allow" || newest === undefined) return { make, skipped: 0 };
  if (record.last === null) return { make: [newest], skipped: make.length - 1 };
  return undefined;
};

/**
 * The jobs of many firings in one commit, in order: each made, or found made before (its key).
 * Their specs are the schedules' own, decoded when the schedule was: `submitSpecs` takes them
 * as they are (a firing's key, `schedule/<name>/<time>`, is always a valid one), so a pass does
 * not decode a thousand specs again before the first job is made.
 */
export const fireJobs = (
  deps: FiringDeps,
  firings: ReadonlyArray<{
    readonly record: ScheduleRecord;
    readonly job: JobSpec;
    readonly at: number;
  }>,
): Effect.Effect<ReadonlyArray<Firing>, StoreError> =>
  firings.length === 0
    ? Effect.succeed([])
    : Effect.suspend(() => {
        // A pass's firings are mostly due at one time: its keys share the time, written once.
        const keys = new Map<number, (name: string) => string>();
        const keyOf = (name: string, at: number) => {
          let k = keys.get(at);
          if (k === undefined) keys.set(at, (k = firingKeysAt(at)));
          return k(name);
        };
        return deps.core.submitSpecs(
          firings.map((f): JobSpec => ({
            ...f.job,
            idempotencyKey: keyOf(f.record.spec.name, f.at),
          })),
        );
      }).pipe(
        Effect.map((results) =>
          results.map((r, i): Firing => ({
            at: firings[i]!.at,
            outcome: r.created ? "fired" : "duplicate",
            last: { at: firings[i]!.at, kind: "job", id: r.job.id },
          })),
        ),
      );

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
