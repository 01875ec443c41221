/**
 * Schedules: a cron expression, in a time zone, that creates a job (or starts a pipeline run)
 * at each of its times.
 *
 * - `cron`: five fields (minute precision) or six (a leading seconds field), as cron-parser
 *   reads them (see cron.ts); `@hourly` and the other names too.
 * - `timezone`: an IANA zone (`Europe/Madrid`); `UTC` by default. The times are wall-clock times
 *   there, daylight saving included.
 * - `job` | `pipeline` (+ `input`): what each firing makes (exactly one of `job`, `pipeline`).
 * - `overlap`: when the previous firing's job or run is still going: `skip` this firing (the
 *   default), `allow` both, or `cancel_previous` and start the new one.
 * - `catchUp`: the firings missed while no supervisor ran (or one was late by more than
 *   `graceMs`): `none` drops them, `latest` (the default) makes the newest, `all` makes every
 *   one, at most `maxCatchUp` of them (the newest).
 *
 * A schedule's state (`ScheduleRecord`) is stored: `firedUntil` is the due time up to which
 * every firing has been dealt with (made, skipped or dropped), so a restart goes on from there.
 */
import { createHash } from "node:crypto";
import { Schema } from "effect";
import { JobSpec } from "./job-spec.ts";
import { JsonValue } from "./json.ts";
import { literals, objectExpected, patternString, Timestamp } from "./primitives.ts";
import { exactlyOneOf } from "./work.ts";
import { cronProblem, zoneProblem } from "./cron.ts";

/** At most this many missed firings are made by `catchUp: all` (the newest of them). */
export const maxCatchUp = 100;

/** Names appear in URLs and in idempotency keys: letters, digits, `.`, `_` and `-`. */
export const ScheduleName = patternString(
  /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  100,
  "a schedule name: letters, digits, '.', '_' or '-', at most 100, starting with a letter or digit",
).annotations({ identifier: "ScheduleName" });

export const Cron = Schema.String.pipe(
  Schema.filter((s) => (s.length > 200 ? "is longer than 200 characters" : cronProblem(s)), {
    identifier: "Cron",
    description: "a cron expression: 5 fields, or 6 with seconds first; or @hourly, @daily…",
  }),
);

export const TimeZone = Schema.String.pipe(
  Schema.filter((s) => (s.length > 64 ? "is longer than 64 characters" : zoneProblem(s)), {
    identifier: "TimeZone",
    description: "an IANA time zone, such as Europe/Madrid or UTC",
  }),
);

export const Overlap = literals("skip", "allow", "cancel_previous");
export type Overlap = typeof Overlap.Type;
export const CatchUp = literals("none", "latest", "all");
export type CatchUp = typeof CatchUp.Type;

const opt = <S extends Schema.Schema.All>(schema: S) =>
  Schema.optionalWith(schema, { exact: true });

const ScheduleFields = Schema.Struct({
  name: ScheduleName,
  cron: Cron,
  timezone: Schema.optionalWith(TimeZone, { exact: true, default: () => "UTC" }),
  job: opt(JobSpec),
  pipeline: opt(
    patternString(/^[a-z0-9][a-z0-9_-]{0,63}$/, 64, "a pipeline name").annotations({
      description: "the pipeline to start a run of",
    }),
  ),
  input: opt(JsonValue),
  overlap: Schema.optionalWith(Overlap, { exact: true, default: () => "skip" as const }),
  catchUp: Schema.optionalWith(CatchUp, { exact: true, default: () => "latest" as const }),
}).annotations(objectExpected("a schedule object"));

export const ScheduleSpec = ScheduleFields.pipe(
  Schema.filter(exactlyOneOf("job", "pipeline", "a schedule")),
  Schema.filter((s) =>
    s.input !== undefined && s.job !== undefined
      ? { path: ["input"], message: "is for a pipeline: a job takes its input in its spec" }
      : s.job?.idempotencyKey !== undefined
        ? {
            path: ["job", "idempotencyKey"],
            message: "is set by the schedule: schedule/<name>/<fire time>",
          }
        : s.job?.runAt !== undefined
          ? { path: ["job", "runAt"], message: "is not for a scheduled job (delayMs is)" }
          : undefined,
  ),
  Schema.annotations({
    identifier: "ScheduleSpec",
    description: "a cron schedule that creates a job or starts a pipeline run at each time",
  }),
);
export type ScheduleSpec = typeof ScheduleSpec.Type;
export type ScheduleSpecInput = typeof ScheduleSpec.Encoded;

/** What happened to the last firing made (not skipped): the job or run it made. */
export const LastFiring = Schema.Struct({
  at: Timestamp,
  kind: literals("job", "run"),
  id: Schema.String,
});
export type LastFiring = typeof LastFiring.Type;

export const ScheduleRecord = Schema.Struct({
  spec: ScheduleSpec,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  paused: Schema.Boolean,
  /** Every due time up to this one (included) has been dealt with. */
  firedUntil: Timestamp,
  last: Schema.NullOr(LastFiring),
}).annotations({ identifier: "ScheduleRecord", ...objectExpected("a schedule record") });
export type ScheduleRecord = typeof ScheduleRecord.Type;

/** The idempotency keys of the firings due at `at`, by schedule name: the time written once. */
export const firingKeysAt = (at: number): ((name: string) => string) => {
  const time = new Date(at).toISOString();
  return (name) => `schedule/${name}/${time}`;
};

/** The idempotency key of the firing of `name` due at `at`. */
export const firingKey = (name: string, at: number): string => firingKeysAt(at)(name);

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * The run id of the firing of `name` due at `at`: a ULID whose time is `at` and whose other 80
 * bits come from the firing's key, so a firing made again (after a crash) names the same run.
 */
export const firingRunId = (name: string, at: number): string => {
  const digest = createHash("sha256").update(firingKey(name, at)).digest();
  let out = "";
  let t = at;
  for (let i = 0; i < 10; i++) {
    out = crockford[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  let bits = 0;
  let acc = 0;
  for (const byte of digest.subarray(0, 10)) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += crockford[(acc >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
};
