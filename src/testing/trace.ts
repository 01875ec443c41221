/**
 * The trace of a simulated run: what happened, in order, at virtual times. It is what a
 * property reads and what a failure report prints.
 *
 * A step is named by its invoke id and its invocation (`deploy#2` is the second time the machine
 * ran `deploy`: a loop, or a state entered again). Its job's life shows as `created`, one
 * `attempt` per run that started (with the run's number, counting as the retry policy does), the
 * `requeued`/`retrying` in between, and `job_ended`. `finished` is the pipeline being told.
 * `stopped` means the machine stopped the step (left its state, or the run ended) while its job
 * had not ended; `cancel_requested` is the pipeline asking for that job to be cancelled.
 */
import type { RunOutcome, SignalEvent } from "../../actors/pipeline-messages.ts";
import type { JobState } from "../domain/job-state.ts";
import type { AttemptOutcome } from "./scenario.ts";

export interface StepRef {
  readonly step: string;
  readonly invocation: number;
}

export type EndedJobState = Extract<JobState, "succeeded" | "failed" | "timed_out" | "cancelled">;

export type TraceEvent = { readonly at: number } & (
  | { readonly type: "run_started"; readonly input: unknown }
  | ({ readonly type: "submitted" } & StepRef)
  | ({ readonly type: "invalid"; readonly message: string } & StepRef)
  | ({
      readonly type: "created";
      readonly jobId: string;
      readonly maxAttempts: number;
      readonly timeoutMs: number | null;
    } & StepRef)
  | ({ readonly type: "started"; readonly jobId: string } & StepRef)
  | ({
      readonly type: "attempt";
      readonly jobId: string;
      readonly attempt: number;
      readonly planned: AttemptOutcome;
    } & StepRef)
  | ({ readonly type: "requeued"; readonly jobId: string; readonly reason: string } & StepRef)
  | ({
      readonly type: "retrying";
      readonly jobId: string;
      readonly after: string;
      readonly until: number;
    } & StepRef)
  | ({
      readonly type: "job_ended";
      readonly jobId: string;
      readonly state: EndedJobState;
      readonly attempts: number;
      readonly message: string | null;
      readonly outputs: unknown;
    } & StepRef)
  | ({ readonly type: "finished"; readonly state: EndedJobState | "invalid" } & StepRef)
  | ({ readonly type: "stopped"; readonly jobId: string | null } & StepRef)
  | ({ readonly type: "cancel_requested"; readonly jobId: string | null } & StepRef)
  | { readonly type: "signal"; readonly event: SignalEvent; readonly accepted: boolean }
  | { readonly type: "cancel" }
  | { readonly type: "restart" }
  | {
      readonly type: "run_ended";
      readonly outcome: RunOutcome;
      readonly reason: string | null;
      readonly output: unknown;
    }
);

export type Trace = ReadonlyArray<TraceEvent>;

/** `step#n`. */
export const refName = (r: StepRef): string => `${r.step}#${r.invocation}`;

const json = (v: unknown, max = 120): string => {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One line of a trace, without its time. */
export const describeEvent = (e: TraceEvent): string => {
  switch (e.type) {
    case "run_started":
      return `run started, input ${json(e.input)}`;
    case "submitted":
      return `${refName(e)} submitted`;
    case "invalid":
      return `${refName(e)} refused: invalid job spec: ${e.message}`;
    case "created": {
      const timeout = e.timeoutMs === null ? "" : `, timeout ${e.timeoutMs} ms`;
      return `${refName(e)} ${e.jobId} created (${plural(e.maxAttempts, "attempt")} max${timeout})`;
    }
    case "started":
      return `${refName(e)} started as ${e.jobId}`;
    case "attempt":
      return `${refName(e)} ${e.jobId} attempt ${e.attempt} running (planned: ${e.planned})`;
    case "requeued":
      return `${refName(e)} ${e.jobId} assignment came back (${e.reason}), queued again`;
    case "retrying":
      return `${refName(e)} ${e.jobId} attempt ended (${e.after}), retry at ${e.until}`;
    case "job_ended": {
      const what = e.state === "succeeded" ? `outputs ${json(e.outputs)}` : (e.message ?? "");
      return `${refName(e)} ${e.jobId} ${e.state} after ${plural(e.attempts, "attempt")}: ${what}`;
    }
    case "finished":
      return `${refName(e)} finished: ${e.state}`;
    case "stopped":
      return `${refName(e)} stopped while its job ${e.jobId ?? "(not created yet)"} was live`;
    case "cancel_requested":
      return `${refName(e)} pipeline asks to cancel job ${e.jobId ?? "(id not known yet)"}`;
    case "signal":
      return `signal ${json(e.event)}${e.accepted ? "" : " refused: not accepted in this state"}`;
    case "cancel":
      return "cancel reaches the run";
    case "restart":
      return "supervisor restarted: pipeline restored from its snapshot, resumed";
    case "run_ended": {
      const why = e.reason === null ? "" : ` (${e.reason})`;
      return `run ended ${e.outcome}${why}, output ${json(e.output)}`;
    }
  }
};

/**
 * The trace as lines `  time  what`, for reports. Past `maxLines`, its beginning and its end
 * are shown, with how much was left out between them (a run that never stops is long).
 */
export const formatTrace = (trace: Trace, maxLines = Infinity): string => {
  const width = Math.max(4, ...trace.map((e) => String(e.at).length));
  const line = (e: TraceEvent) => `  ${String(e.at).padStart(width)}  ${describeEvent(e)}`;
  if (trace.length <= maxLines) return trace.map(line).join("\n");
  const tail = Math.floor(maxLines / 3);
  const head = maxLines - tail;
  return [
    ...trace.slice(0, head).map(line),
    `  ${"".padStart(width)}  … ${trace.length - head - tail} more events …`,
    ...trace.slice(trace.length - tail).map(line),
  ].join("\n");
};
