/**
 * The pipeline actor's context and what it is made of: the run's identity and input, its
 * machine as data, the record of every step it invoked, and the outcome.
 */
import type { MachineState, Stepper } from "../src/domain/pipeline-machine.ts";
import type { PipelineEffect, RunOutcome, StepRecord } from "./pipeline-messages.ts";

export interface PipelineInput {
  readonly runId: string;
  readonly pipeline: string;
  readonly version: string;
  readonly input: unknown;
  readonly at: number;
}

export interface PipelineContext extends Omit<PipelineInput, "at"> {
  readonly startedAt: number;
  readonly machine: MachineState | null;
  /** Each step (by invoke id) as of its latest invocation. */
  readonly steps: Readonly<Record<string, StepRecord>>;
  readonly outcome: RunOutcome;
  readonly reason: string | null;
  readonly output: unknown;
  readonly deadline: number | null;
}

export const initialContext = (input: PipelineInput): PipelineContext => ({
  runId: input.runId,
  pipeline: input.pipeline,
  version: input.version,
  input: input.input,
  startedAt: input.at,
  machine: null,
  steps: {},
  outcome: "running",
  reason: null,
  output: null,
  deadline: null,
});

/**
 * The machine of a pipeline at a version: that version while the registry still holds it (a
 * declarative pipeline re-registered keeps its earlier versions for the runs started on them),
 * else the pipeline's current one (whose other version the run then refuses), or undefined.
 */
export type PipelineResolver = (
  pipeline: string,
  version: string,
) => { readonly version: string; readonly stepper: Stepper } | undefined;

export interface Reduced {
  readonly context: PipelineContext;
  readonly effects: ReadonlyArray<PipelineEffect>;
}
