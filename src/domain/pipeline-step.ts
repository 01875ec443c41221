/**
 * A pipeline step's job as a run sees it: the job a step was invoked with (`RunJobInput`), what
 * it produced (`StepOutput`) or why it did not succeed (`StepError`), the step as found among
 * the machine's children (`StepChild`), and the events that tell the machine its job ended —
 * XState's own `xstate.done.actor.<id>` and `xstate.error.actor.<id>`, so `onDone` and
 * `onError` read as they do for any invoked actor.
 *
 * Plain data and pure functions: the pipeline actor (actors/pipeline*.ts) and the `runJob`
 * logic (src/pipeline/run-job.ts) share them.
 */
import type { JsonValue } from "./json.ts";
import type { JobSpecInput } from "./job-spec.ts";

/** What a step's job produced. `outputs` are the handler's JSON result, or a command's outputs. */
export interface StepOutput {
  readonly jobId: string;
  readonly outputs: Readonly<Record<string, JsonValue>>;
  readonly exitCode: number | null;
}

/** Why a step's job did not succeed. */
export interface StepError {
  readonly jobId: string | null;
  /** The job's final state, or `invalid` when its spec was refused before it was created. */
  readonly state: "failed" | "timed_out" | "cancelled" | "invalid";
  readonly message: string;
  readonly exitCode: number | null;
}

/** The job to run: a JobSpec as a caller writes it; `name` defaults to the step's id. */
export type RunJobInput = Omit<JobSpecInput, "name" | "idempotencyKey"> & {
  readonly name?: string;
};

/**
 * One invocation of a step: its invoke id, its key (unique within the run: a loop that runs the
 * same state twice gets two keys) and the spec it was given.
 */
export interface StepChild {
  readonly id: string;
  readonly key: string;
  readonly spec: RunJobInput;
}

/** An event for a pipeline's machine: XState's event object, as plain data. */
export interface MachineEvent {
  readonly type: string;
  readonly [k: string]: unknown;
}

/** XState's own completion events for an invoked child. */
export const doneEvent = (childId: string, output: StepOutput): MachineEvent => ({
  type: `xstate.done.actor.${childId}`,
  output,
  actorId: childId,
});
export const errorEvent = (childId: string, error: StepError): MachineEvent => ({
  type: `xstate.error.actor.${childId}`,
  error,
  actorId: childId,
});
