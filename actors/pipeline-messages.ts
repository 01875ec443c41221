/**
 * What the pipeline actor is told, and what it asks the world to do.
 *
 * Every message carries `at`, the runtime clock's time. Steps are named by their invoke id and
 * known by their key (unique per invocation: a loop that runs the same state twice gets two
 * keys), so a report about an earlier invocation of a step is recognised and ignored.
 */
import type { RunJobInput, StepError, StepOutput } from "../src/domain/pipeline-step.ts";

export type StepOutcome =
  | { readonly ok: true; readonly output: StepOutput }
  | { readonly ok: false; readonly error: StepError };

export type SignalEvent = { readonly type: string } & Readonly<Record<string, unknown>>;

export type PipelineMessage =
  /** Sent at recovery: check the definition, and re-submit the steps in flight (idempotent). */
  | { readonly type: "resume"; readonly at: number }
  /** The job of a step was created (or found, by its key). */
  | {
      readonly type: "step_started";
      readonly at: number;
      readonly key: string;
      readonly jobId: string;
    }
  /** The job of a step ended. */
  | {
      readonly type: "step_finished";
      readonly at: number;
      readonly key: string;
      readonly outcome: StepOutcome;
    }
  /** An event for the pipeline's own machine (an approval, say). */
  | { readonly type: "signal"; readonly at: number; readonly event: SignalEvent }
  | { readonly type: "cancel"; readonly at: number; readonly reason: string | null }
  | { readonly type: "tick"; readonly at: number };

export type RunOutcome = "running" | "succeeded" | "failed" | "cancelled";

export type StepState = "running" | "succeeded" | "failed" | "cancelled";

export interface StepRecord {
  readonly key: string;
  readonly state: StepState;
  readonly jobId: string | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly error: string | null;
}

export type PipelineEffect =
  /** Create the step's job, with `runId`/`key` as its idempotency key. */
  | {
      readonly type: "pipeline.submit";
      readonly runId: string;
      readonly step: string;
      readonly key: string;
      readonly spec: RunJobInput;
    }
  /** The step was stopped before its job ended: cancel the job. */
  | {
      readonly type: "pipeline.cancel_step";
      readonly runId: string;
      readonly key: string;
      readonly jobId: string | null;
    }
  /** The run's summary changed: what the run record and live followers show. */
  | {
      readonly type: "pipeline.transitioned";
      readonly runId: string;
      readonly state: RunOutcome;
      readonly at: number;
    };
