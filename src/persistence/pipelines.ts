/**
 * Port: pipeline definitions, and the runs started from them.
 *
 * A definition is stored under its name and version (`version` absent is stored as ""), so a
 * run restored after a restart finds the definition it was started from even when a newer one
 * was stored since. `getDefinition(name)` without a version returns the one stored last.
 *
 * A run record is what the API lists: which definition, its state, and the job started for each
 * step. The pipeline actor's own state lives in its snapshot (kind "pipeline"); the record is
 * its queryable summary, written by whoever drives the run.
 */
import { Schema, type Effect } from "effect";
import type { InvalidInput, NotFound } from "../domain/errors.ts";
import { JobId, PipelineName, PipelineRunId } from "../domain/ids.ts";
import type { PipelineDefinition } from "../domain/pipeline.ts";
import { StepName } from "../domain/pipeline.ts";
import { JsonValue } from "../domain/json.ts";
import { boundedString, Limits, literals, Timestamp } from "../domain/primitives.ts";
import type { StoreError } from "./errors.ts";

export const pipelineRunStates = ["running", "succeeded", "failed", "cancelled"] as const;
export const PipelineRunState = literals(...pipelineRunStates);
export type PipelineRunState = typeof PipelineRunState.Type;

export const runStepStates = [
  "waiting",
  "running",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
] as const;
export const RunStepState = literals(...runStepStates);
export type RunStepState = typeof RunStepState.Type;

/** One step of a run as the API shows it: a planned DAG step, or a job the machine invoked. */
export const RunStep = Schema.Struct({
  name: StepName,
  state: RunStepState,
  needs: Schema.optionalWith(Schema.Array(StepName), { exact: true }),
  jobId: Schema.optionalWith(JobId, { exact: true }),
  startedAt: Schema.optionalWith(Timestamp, { exact: true }),
  finishedAt: Schema.optionalWith(Timestamp, { exact: true }),
  error: Schema.optionalWith(boundedString(0, Limits.messageLength), { exact: true }),
}).annotations({ identifier: "RunStep", description: "one step of a pipeline run" });
export type RunStep = typeof RunStep.Type;

export const PipelineRun = Schema.Struct({
  id: PipelineRunId,
  pipeline: PipelineName,
  /** The definition's version, "" when it has none. */
  version: boundedString(0, 64),
  state: PipelineRunState,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** The job started for each step so far. */
  jobs: Schema.Record({ key: StepName, value: JobId }),
  /** The input the run was started with. */
  input: Schema.optionalWith(JsonValue, { exact: true }),
  /** Why the run failed or was cancelled. */
  reason: Schema.optionalWith(boundedString(0, Limits.messageLength), { exact: true }),
  /** The pipeline machine's output, once it finished. */
  output: Schema.optionalWith(JsonValue, { exact: true }),
  steps: Schema.optionalWith(Schema.Array(RunStep), { exact: true }),
  /**
   * While it runs: the signals its machine's current states take (`approve`, say). Read from
   * the live run, never stored.
   */
  signals: Schema.optionalWith(Schema.Array(boundedString(1, 128)), { exact: true }),
}).annotations({ identifier: "PipelineRun", description: "one run of a pipeline definition" });
export type PipelineRun = typeof PipelineRun.Type;

export interface RunFilter {
  readonly pipeline?: string;
  readonly state?: PipelineRunState;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface RunPage {
  readonly runs: ReadonlyArray<PipelineRun>;
  readonly next: string | null;
}

export interface PipelineStore {
  /** Stores (or replaces) the definition under its name and version. */
  readonly putDefinition: (definition: PipelineDefinition) => Effect.Effect<void, StoreError>;
  readonly getDefinition: (
    name: string,
    version?: string,
  ) => Effect.Effect<PipelineDefinition, NotFound | StoreError>;
  /** The last stored definition of every name, by name. */
  readonly listDefinitions: () => Effect.Effect<ReadonlyArray<PipelineDefinition>, StoreError>;
  /** Writes a run record, new or updated. */
  readonly putRun: (run: PipelineRun) => Effect.Effect<void, StoreError>;
  readonly getRun: (id: string) => Effect.Effect<PipelineRun, NotFound | StoreError>;
  readonly listRuns: (filter?: RunFilter) => Effect.Effect<RunPage, InvalidInput | StoreError>;
}
