/**
 * Bodies and answers of the schedule routes: a schedule as `GET` shows it (its record and its
 * next due times), the list, and what a trigger made.
 */
import { Schema } from "effect";
import { ScheduleName, ScheduleRecord } from "../domain/schedule.ts";

export const ScheduleNamePath = Schema.Struct({ name: ScheduleName });

export const ScheduleView = Schema.Struct({
  ...ScheduleRecord.fields,
  next: Schema.Array(Schema.String).annotations({
    description: "the next due times (RFC 3339, UTC), the earliest first; none while paused",
  }),
}).annotations({
  identifier: "Schedule",
  description: "a schedule, where it has got to (firedUntil, last) and its next due times",
});

export const ScheduleList = Schema.Struct({ schedules: Schema.Array(ScheduleView) });

export const Firing = Schema.Struct({
  at: Schema.Number.annotations({ description: "the firing's time (epoch ms)" }),
  outcome: Schema.Literal("fired", "duplicate", "skipped_overlap", "missed", "failed"),
  last: Schema.NullOr(
    Schema.Struct({ at: Schema.Number, kind: Schema.Literal("job", "run"), id: Schema.String }),
  ),
  error: Schema.optionalWith(Schema.String, { exact: true }),
}).annotations({ identifier: "Firing", description: "what a firing made: its job or run" });
