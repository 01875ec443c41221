/**
 * One pass over the due schedules: each one's due times (its catch-up policy), then its overlap
 * policy, then every job firing in one commit per thousand (`submitSpecs`, each keyed by its due
 * time) and the pipeline runs one by one. Returns each schedule's record as the pass leaves it
 * (`firedUntil` the pass's time, `last` its last firing) and its next due time; the caller
 * commits them, after the firings: a crash in between makes them again and finds them made.
 */
import { Effect } from "effect";
import type { CronCursor } from "../domain/cron.ts";
import type { ScheduleRecord } from "../domain/schedule.ts";
import type { StoreError } from "../persistence/index.ts";
import {
  dueFirings,
  fire,
  fireJobs,
  overlapping,
  overlapUnseen,
  type FireOutcome,
  type Firing,
  type FiringDeps,
} from "./schedule-firing.ts";

/**
 * A schedule as the service holds it: its record, its parsed expression, its next due time and
 * the one after that (worked out after a pass, for the next one: see `dueFirings`).
 */
export interface Entry {
  record: ScheduleRecord;
  readonly cursor: CronCursor;
  nextAt: number | undefined;
  following: number | undefined;
}

/** Job firings per commit. */
const batchSize = 1_000;

export const firePass = (
  deps: FiringDeps,
  due: ReadonlyArray<Entry>,
  at: number,
  graceMs: number,
  counted: (schedule: string, outcome: FireOutcome, n?: number) => void,
): Effect.Effect<
  ReadonlyArray<{ readonly record: ScheduleRecord; readonly upcoming: number | undefined }>,
  StoreError
> =>
  Effect.gen(function* () {
    // Synchronous for every schedule whose overlap policy needs no look at its last firing:
    // a fiber each (as `forEach` with concurrency makes) costs more than the rest of the plan.
    const plans = due.map((e) => {
      const { make, missed, upcoming } = dueFirings(
        e.record,
        e.cursor,
        e.nextAt!,
        e.following,
        at,
        graceMs,
      );
      counted(e.record.spec.name, "missed", missed);
      const o = overlapUnseen(e.record, make);
      return { e, upcoming, due: make, looks: o === undefined, ...(o ?? { make: [], skipped: 0 }) };
    });
    yield* Effect.forEach(
      plans.filter((p) => p.looks),
      (p) =>
        Effect.map(overlapping(deps, p.e.record, p.due), (o) => {
          p.make = o.make;
          p.skipped = o.skipped;
        }),
      { concurrency: 64, discard: true },
    );
    for (const p of plans) counted(p.e.record.spec.name, "skipped_overlap", p.skipped);
    const jobs = plans.flatMap(({ e, make }) => {
      const job = e.record.spec.job;
      return job === undefined ? [] : make.map((at) => ({ record: e.record, job, at }));
    });
    const made = new Map<string, Firing[]>();
    for (let i = 0; i < jobs.length; i += batchSize) {
      const chunk = jobs.slice(i, i + batchSize);
      const fired = yield* fireJobs(deps, chunk);
      fired.forEach((f, k) => {
        const name = chunk[k]!.record.spec.name;
        made.set(name, [...(made.get(name) ?? []), f]);
      });
    }
    for (const p of plans) {
      if (p.e.record.spec.job !== undefined) continue;
      for (const t of p.make) {
        const f = yield* fire(deps, p.e.record, t, "allow");
        made.set(p.e.record.spec.name, [...(made.get(p.e.record.spec.name) ?? []), f]);
      }
    }
    return plans.map((p) => {
      let last = p.e.record.last;
      for (const f of made.get(p.e.record.spec.name) ?? []) {
        counted(p.e.record.spec.name, f.outcome);
        if (f.error !== undefined) {
          Effect.runFork(
            Effect.logWarning(
              `schedule ${p.e.record.spec.name}: firing ${new Date(f.at).toISOString()} failed: ${f.error}`,
            ),
          );
        }
        last = f.last;
      }
      const record: ScheduleRecord = {
        ...p.e.record,
        last,
        firedUntil: Math.max(p.e.record.firedUntil, at),
        updatedAt: at,
      };
      return { record, upcoming: p.upcoming };
    });
  });
