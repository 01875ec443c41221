/**
 * Delayed jobs: a JobSpec with `runAt` (an RFC 3339 instant) or `delayMs` (that long after the
 * job was created) waits in the `delayed` state until then, and is queued at its time.
 *
 * The due time is worked out from what is stored (the spec and the job's `createdAt`), never
 * from the moment a supervisor read it: a job created with `delayMs: 60000` is due a minute
 * after its creation whatever restarts happen between.
 */
import { Schema } from "effect";
import { patternString } from "./primitives.ts";

/** At most a year ahead: a delay longer than that is more likely a unit mistake than a plan. */
export const maxDelayMs = 366 * 24 * 3_600_000;

const rfc3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** `2026-02-30` matches the pattern, and Date.parse would roll it over into March. */
const dayExists = (s: string): boolean => {
  const [y, m, d] = s.slice(0, 10).split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
};

const runAtLength = 40;

/** What `RunAt` accepts, as a plain check (for job-spec-fast.ts): the schema below is the definition. */
export const isRunAtString = (s: string): boolean =>
  s.length <= runAtLength && rfc3339.test(s) && Number.isFinite(Date.parse(s)) && dayExists(s);

/** An RFC 3339 date-time with its offset, e.g. `2026-12-05T10:00:00Z`. */
export const RunAt = patternString(
  rfc3339,
  runAtLength,
  "an RFC 3339 date-time with an offset, such as 2026-12-05T10:00:00Z",
).pipe(
  Schema.filter((s) => Number.isFinite(Date.parse(s)) && dayExists(s), {
    message: () => "is not a date that exists",
  }),
  Schema.annotations({ identifier: "RunAt", description: "when a delayed job is queued" }),
);

/** What `dueAt` reads of a job. */
export interface Delayable {
  readonly spec: { readonly runAt?: string; readonly delayMs?: number };
  readonly createdAt: number;
}

/** When a job is due to be queued, epoch ms; null for a job with no delay. */
export const dueAt = (job: Delayable): number | null =>
  job.spec.runAt !== undefined
    ? Date.parse(job.spec.runAt)
    : job.spec.delayMs !== undefined
      ? job.createdAt + job.spec.delayMs
      : null;

/** True when the job must wait `delayed` at `now` (its due time is still ahead). */
export const isDelayedAt = (job: Delayable, now: number): boolean => {
  const due = dueAt(job);
  return due !== null && due > now;
};
