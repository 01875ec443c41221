/**
 * The domain's errors: few, each one a distinct answer the API gives (its HTTP status in
 * brackets) and a distinct thing a caller can do about it.
 *
 * - `InvalidInput` (400): the request is malformed; `issues` says where and why, field by field.
 * - `NotFound` (404): no such job, worker, pipeline or run.
 * - `Conflict` (409): the request contradicts the current state (cancel a finished job, register
 *   a worker id that is already connected).
 * - `StaleAttempt` (409): an agent reported on an attempt that is no longer the current one.
 * - `Unplaceable` (422): no worker could ever take the job as specified; `reason` explains it
 *   ("no worker with label gpu=true and 8 GiB free").
 * - `PipelineInvalid` (400): the pipeline's graph is wrong (duplicate steps, unknown needs, cycles).
 *
 * They are `Schema.TaggedError` classes so they can cross the bus and be persisted as data, and
 * so an Effect can fail with them and be caught by `_tag`.
 */
import { Schema } from "effect";
import { JobId } from "./ids.ts";
import { literals } from "./primitives.ts";

/** One problem with an input: `path` is dotted (`resources.memoryMb`, `steps.2.needs.0`). */
export const Issue = Schema.Struct({ path: Schema.String, message: Schema.String }).annotations({
  identifier: "Issue",
});
export type Issue = typeof Issue.Type;

export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String,
  issues: Schema.Array(Issue),
}) {}

export const NotFoundKind = literals("job", "worker", "pipeline", "pipelineRun", "schedule");
export type NotFoundKind = typeof NotFoundKind.Type;

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  kind: NotFoundKind,
  id: Schema.String,
}) {
  override get message(): string {
    return `${this.kind} ${this.id} not found`;
  }
}

export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  message: Schema.String,
}) {}

export class StaleAttempt extends Schema.TaggedError<StaleAttempt>()("StaleAttempt", {
  jobId: JobId,
  attempt: Schema.Int,
  current: Schema.Int,
}) {
  override get message(): string {
    return `job ${this.jobId}: attempt ${this.attempt} is stale, the current attempt is ${this.current}`;
  }
}

export class Unplaceable extends Schema.TaggedError<Unplaceable>()("Unplaceable", {
  jobId: Schema.optionalWith(JobId, { exact: true }),
  reason: Schema.String,
}) {
  override get message(): string {
    return this.reason;
  }
}

export class PipelineInvalid extends Schema.TaggedError<PipelineInvalid>()("PipelineInvalid", {
  message: Schema.String,
  issues: Schema.Array(Issue),
  /** Step names around the cycle, first repeated last: ["a", "b", "a"]. */
  cycle: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
}) {}

/** Every domain error, for code that must handle (or serialise) any of them. */
export const DomainError = Schema.Union(
  InvalidInput,
  NotFound,
  Conflict,
  StaleAttempt,
  Unplaceable,
  PipelineInvalid,
);
export type DomainError = typeof DomainError.Type;
