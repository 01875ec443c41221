/**
 * Job: the durable record of one submitted JobSpec — what the API returns for `GET /jobs/:id`
 * and what the persistence adapters store next to the job actor's snapshot.
 *
 * The record is a view of the actor's state, not its source: the job actor decides, the record
 * reports. `attempt` counts from 1 once the job is first placed (0 while it has never been), and
 * every report from an agent carries it, so that a late result of an earlier attempt is refused
 * (`StaleAttempt`) instead of overwriting the current one.
 *
 * `attempt` is bounded by the retry policy's largest `maxAttempts` plus the bounces a job may
 * take (retry.ts): a record over that bound is corrupt.
 *
 * `transitions` is the job's timeline, oldest first. It is bounded by the retry policy (a few
 * entries per attempt), which is why keeping all of it is affordable.
 */
import { Schema } from "effect";
import { isDelayedAt } from "./delay.ts";
import { JobId, PipelineRunId, WorkerId } from "./ids.ts";
import { JobSpec } from "./job-spec.ts";
import { JobState } from "./job-state.ts";
import { maxAttemptNumber } from "./retry.ts";
import { boundedJson } from "./json.ts";
import {
  boundedInt,
  boundedString,
  Limits,
  Name,
  objectExpected,
  Timestamp,
} from "./primitives.ts";

const Attempt = boundedInt(0, maxAttemptNumber);

export const JobTransition = Schema.Struct({
  state: JobState,
  at: Timestamp,
  attempt: Attempt,
  /** On a `scheduled` transition: the worker the attempt went to. */
  workerId: Schema.optionalWith(WorkerId, { exact: true }),
  /** On a transition an agent's result caused: the command's exit code. */
  exitCode: Schema.optionalWith(Schema.Int, { exact: true }),
}).annotations({
  identifier: "JobTransition",
  description:
    "the job entered `state` at `at`; `workerId` names an attempt's worker, `exitCode` how it ended",
});
export type JobTransition = typeof JobTransition.Type;

/** What the last finished attempt produced. A handler job has `output`, a command `exitCode`. */
export const JobResult = Schema.Struct({
  exitCode: Schema.optionalWith(Schema.Int, { exact: true }),
  output: Schema.optionalWith(boundedJson(Limits.jsonLength), { exact: true }),
  error: Schema.optionalWith(boundedString(0, Limits.messageLength), { exact: true }),
}).annotations({
  identifier: "JobResult",
  description: "exit code or handler output, and an error message when the attempt failed",
  ...objectExpected("a job result object"),
});
export type JobResult = typeof JobResult.Type;

export const Job = Schema.Struct({
  id: JobId,
  spec: JobSpec,
  state: JobState,
  attempt: Attempt,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  transitions: Schema.Array(JobTransition),
  workerId: Schema.optionalWith(WorkerId, { exact: true }),
  result: Schema.optionalWith(JobResult, { exact: true }),
  /** Set for a job started by a pipeline run, with the step it runs. */
  pipelineRunId: Schema.optionalWith(PipelineRunId, { exact: true }),
  pipelineStep: Schema.optionalWith(Name, { exact: true }),
}).annotations({
  identifier: "Job",
  description: "a submitted job and where it is in its lifecycle",
  ...objectExpected("a job object"),
});
export type Job = typeof Job.Type;

/** A new job record, as the API writes it before anything else happens to it. */
export const newJob = (
  id: JobId,
  spec: JobSpec,
  now: number,
  pipeline?: { readonly runId: PipelineRunId; readonly step: string },
): Job => {
  const state = isDelayedAt({ spec, createdAt: now }, now) ? "delayed" : "queued";
  return {
    id,
    spec,
    state,
    attempt: 0,
    createdAt: now,
    updatedAt: now,
    transitions: [{ state, at: now, attempt: 0 }],
    ...(pipeline ? { pipelineRunId: pipeline.runId, pipelineStep: pipeline.step } : {}),
  };
};
