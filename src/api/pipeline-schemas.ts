/**
 * Bodies and answers of the pipeline routes: what a pipeline looks like in a list, how a run is
 * started and signalled, a page of runs. A run itself is the store's `PipelineRun`.
 */
import { Schema } from "effect";
import { PipelineName } from "../domain/ids.ts";
import { JsonValue } from "../domain/json.ts";
import { StepName } from "../domain/pipeline.ts";
import { boundedString } from "../domain/primitives.ts";
import { PipelineRun, PipelineRunState } from "../persistence/pipelines.ts";

const opt = <S extends Schema.Schema.All>(schema: S) =>
  Schema.optionalWith(schema, { exact: true });

export const PipelineSummary = Schema.Struct({
  name: Schema.String,
  version: Schema.String.annotations({ description: "a hash of the pipeline's machine" }),
  source: Schema.Literal("code", "declarative"),
  steps: opt(
    Schema.Array(Schema.Struct({ name: StepName, needs: Schema.Array(StepName) })).annotations({
      description: "a DAG pipeline's steps; absent for a hand-written machine",
    }),
  ),
}).annotations({ identifier: "PipelineSummary", description: "a pipeline this supervisor runs" });
export type PipelineSummary = typeof PipelineSummary.Type;

export const PipelineSummaryList = Schema.Struct({ pipelines: Schema.Array(PipelineSummary) });

export const NamePath = Schema.Struct({ name: PipelineName });

export const StartRunRequest = Schema.Struct({
  input: opt(JsonValue.annotations({ description: "the run's input, given to the machine" })),
}).annotations({ identifier: "StartRunRequest" });

export const SignalRequest = Schema.Struct(
  {
    type: boundedString(1, 128).annotations({
      description: "the event type the pipeline's machine waits for (`approve`, say)",
    }),
  },
  Schema.Record({ key: Schema.String, value: JsonValue }),
).annotations({
  identifier: "SignalRequest",
  description: "an event for the run's machine: { type, ...fields }",
});

export const ListRunsQuery = Schema.Struct({
  pipeline: opt(Schema.String),
  state: opt(PipelineRunState),
  limit: opt(
    Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000)).annotations({
      description: "page size, default 100",
    }),
  ),
  cursor: opt(Schema.String.annotations({ description: "`next` of the previous page" })),
});

export const RunPage = Schema.Struct({
  runs: Schema.Array(PipelineRun),
  next: Schema.NullOr(Schema.String).annotations({ description: "cursor of the next page" }),
}).annotations({ identifier: "RunPage" });
