/**
 * A handler job: a function the embedding program registered, called with the job's JSON input.
 *
 * A function cannot be killed, only asked to stop: cancel and timeout abort `ctx.signal` (its
 * reason says which), and if the function has not settled after the grace period the outcome is
 * reported anyway (cancelled / timed_out) and whatever it returns later is ignored. Its return
 * value must be JSON (`undefined` counts as `null`); a throw is a failure with its message.
 */
import { findJsonProblem, type JsonValue } from "../domain/json.ts";
import { Limits } from "../domain/primitives.ts";
import type { Outcome } from "../domain/outcome.ts";
import type { RunningJob } from "./command-job.ts";

export interface JobContext {
  readonly jobId: string;
  readonly attempt: number;
  /**
   * Aborted on cancel or timeout; the reason is a DOMException named "AbortError" (cancelled)
   * or "TimeoutError" (timed out), as `AbortSignal.timeout` would give.
   */
  readonly signal: AbortSignal;
  /** Ships a line (several if it contains newlines) to the job's log. */
  readonly log: (line: string, stream?: "stdout" | "stderr") => void;
}

export type JobHandler = (input: JsonValue, ctx: JobContext) => unknown;

export interface HandlerJobOptions {
  readonly jobId: string;
  readonly attempt: number;
  readonly handler: JobHandler;
  readonly input: JsonValue;
  readonly timeoutMs: number | undefined;
  readonly timeoutGraceMs: number;
  readonly log: (stream: "stdout" | "stderr", line: string) => void;
}

const errorText = (e: unknown): string => {
  const text = e instanceof Error ? e.message || e.name : String(e);
  return text.length <= Limits.messageLength ? text : `${text.slice(0, Limits.messageLength - 1)}…`;
};

export const runHandler = (o: HandlerJobOptions): RunningJob => {
  // Made when the handler first reads `ctx.signal`: most never do, and an AbortController (an
  // EventTarget) is most of what a short job costs the agent here.
  let controller: AbortController | undefined;
  let reason: DOMException | undefined;
  let stopping: "cancelled" | "timed_out" | undefined;
  let settled = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let settle: (outcome: Outcome) => void = () => {};
  const outcome = new Promise<Outcome>((resolve) => (settle = resolve));

  const stop = (why: "cancelled" | "timed_out", graceMs: number): void => {
    if (settled || stopping !== undefined) return;
    stopping = why;
    reason =
      why === "cancelled"
        ? new DOMException("the job was cancelled", "AbortError")
        : new DOMException("the job timed out", "TimeoutError");
    controller?.abort(reason);
    graceTimer = setTimeout(() => settle({ kind: why }), graceMs);
  };

  const ctx: JobContext = {
    jobId: o.jobId,
    attempt: o.attempt,
    get signal() {
      if (controller === undefined) {
        controller = new AbortController();
        if (reason !== undefined) controller.abort(reason);
      }
      return controller.signal;
    },
    log: (line, stream = "stdout") => {
      if (settled) return;
      for (const l of String(line).split("\n")) o.log(stream, l);
    },
  };

  const timeout =
    o.timeoutMs === undefined
      ? undefined
      : setTimeout(() => stop("timed_out", o.timeoutGraceMs), o.timeoutMs);

  // The first of the handler settling and the grace period running out decides the outcome.
  void Promise.resolve()
    .then(() => o.handler(o.input, ctx))
    .then(
      (value): Outcome => {
        if (stopping !== undefined) return { kind: stopping };
        const output = value === undefined ? null : value;
        const problem = findJsonProblem(output);
        if (problem === undefined) return { kind: "succeeded", output };
        const at = problem.path.length === 0 ? "" : ` at ${problem.path.join(".")}`;
        return {
          kind: "failed",
          error: `the handler's result is not JSON${at}: ${problem.message}`,
        };
      },
      (e: unknown): Outcome =>
        stopping !== undefined ? { kind: stopping } : { kind: "failed", error: errorText(e) },
    )
    .then(settle);

  return {
    outcome: outcome.then((decided) => {
      settled = true;
      clearTimeout(timeout);
      clearTimeout(graceTimer);
      return decided;
    }),
    cancel: (graceMs) => stop("cancelled", graceMs),
    pause: () => {},
    resume: () => {},
  };
};
