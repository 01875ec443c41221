/**
 * One pass over the due schedules: each one's due times (its catch-up policy), then its overlap
 * policy, then every job firing in one commit per thousand (`submitBatch`, each keyed by its due
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
  type FireOutcome,
  type Firing,
  type FiringDeps,
} from "./schedule-firing.ts";

/** A schedule as the service holds it: its record, its parsed expression, its next due time. */
export interface Entry {
  record: ScheduleRecord;
  readonly cursor: CronCursor;
  /** The job spec, encoded once for every firing. */
  readonly encoded: object | undefined;
  nextAt: number | undefined;
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
    const plans = yield* Effect.forEach(
      due,
      (e) => {
        const { make, missed, upcoming } = dueFirings(e.record, e.cursor, e.nextAt!, at, graceMs);
        counted(e.record.spec.name, "missed", missed);
        return Effect.map(overlapping(deps, e.record, make), (o) => {
          counted(e.record.spec.name, "skipped_overlap", o.skipped);
          return { e, make: o.make, upcoming };
        });
      },
      { concurrency: 64 },
    );
    const jobs = plans.flatMap((p) =>
      p.e.encoded === undefined
        ? []
        : p.make.map((t) => ({ record: p.e.record, encoded: p.e.encoded!, at: t })),
    );
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
      if (p.e.encoded !== undefined) continue;
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
