/**
 * Properties of a simulated run: a name and a check over the run (its trace, outcome, output).
 * A check fails by returning false or throwing (an `expect` inside it works); the built-ins throw
 * a `PropertyViolation` saying what went wrong, at what time, to which step.
 *
 * Built-ins, true of every pipeline on a correct runtime:
 * - `terminates`: the run ends within the event budget, and never waits with nothing left to
 *   happen (no job running, no timer, no signal to come);
 * - `needsRespected` (pipelines with a plan): no step is submitted before each of its needs has
 *   succeeded (its latest invocation);
 * - `retriesHonoured`: no job runs more than `retry.maxAttempts` times, and one that ended
 *   failed or timed out used them all;
 * - `cancelStopsEverything`: after the run is cancelled no job is submitted, every job still
 *   live ends cancelled (one ending at that very instant may still finish), the run ends
 *   cancelled;
 * - `stoppedStepsAreCancelled`: a job whose step the machine stopped (it left the step's state,
 *   or the run ended) ends cancelled: no orphan job runs on for nobody;
 * - `machineDoesNotThrow`: the run did not fail because the machine threw.
 */
import type { SimulatedRun } from "./simulate.ts";
import { refName, type StepRef, type TraceEvent } from "./trace.ts";

export interface PipelineProperty {
  readonly name: string;
  readonly check: (run: SimulatedRun) => boolean | void;
}

/** A property's explanation of its failure. */
export class PropertyViolation extends Error {
  override readonly name = "PropertyViolation";
}

/** A property of your own: `check` returns false or throws when the run breaks it. */
export const property = (
  name: string,
  check: (run: SimulatedRun) => boolean | void,
): PipelineProperty => ({ name, check });

const fail = (message: string): never => {
  throw new PropertyViolation(message);
};

type Of<T extends TraceEvent["type"]> = Extract<TraceEvent, { type: T }>;
const same = (a: StepRef, b: StepRef) => a.step === b.step && a.invocation === b.invocation;
const endOf = (run: SimulatedRun, ref: StepRef) =>
  run.trace.find((e): e is Of<"job_ended"> => e.type === "job_ended" && same(e, ref));
const createdOf = (run: SimulatedRun, ref: StepRef) =>
  run.trace.find((e): e is Of<"created"> => e.type === "created" && same(e, ref));

const terminates = property("terminates", (run) => {
  if (run.termination === "exhausted") {
    fail(`the run did not end within ${run.events} events (at ${run.endedAt}): it never stops`);
  }
  if (run.termination === "stuck") {
    fail(
      `the run waits forever at ${run.endedAt}: no job running, no timer, no signal to come ` +
        "(a wait with no timeout?)",
    );
  }
});

const needsRespected = property("needsRespected", (run) => {
  const needs = new Map((run.pipeline.plan ?? []).map((p) => [p.name, p.needs]));
  const latest = new Map<string, string>();
  for (const e of run.trace) {
    if (e.type === "submitted") {
      for (const need of needs.get(e.step) ?? []) {
        const state = latest.get(need) ?? "not started";
        if (state !== "succeeded") {
          fail(
            `${refName(e)} was submitted at ${e.at} before its need "${need}" succeeded (${need}: ${state})`,
          );
        }
      }
      latest.set(e.step, "running");
    } else if (e.type === "finished") latest.set(e.step, e.state);
  }
});

const retriesHonoured = property("retriesHonoured", (run) => {
  const starts = new Map<string, number>();
  for (const e of run.trace) {
    if (e.type === "attempt") starts.set(e.jobId, (starts.get(e.jobId) ?? 0) + 1);
  }
  for (const e of run.trace) {
    if (e.type !== "created") continue;
    const n = starts.get(e.jobId) ?? 0;
    if (n > e.maxAttempts) {
      fail(`${refName(e)} ${e.jobId} ran ${n} times, more than its ${e.maxAttempts} attempts`);
    }
    const end = endOf(run, e);
    if ((end?.state === "failed" || end?.state === "timed_out") && n !== e.maxAttempts) {
      fail(
        `${refName(e)} ${e.jobId} ended ${end.state} after ${n} of its ${e.maxAttempts} attempts`,
      );
    }
  }
});

/** A job of `ref` live after `at` must end cancelled (or end at `at` itself: already on its way). */
const mustEndCancelled = (run: SimulatedRun, ref: StepRef, at: number, why: string) => {
  const created = createdOf(run, ref);
  if (created === undefined || run.termination === "exhausted") return;
  const end = endOf(run, ref);
  if (end === undefined) fail(`${refName(ref)} ${created.jobId} never ended, ${why}`);
  else if (end.state !== "cancelled" && end.at > at) {
    fail(`${refName(ref)} ${created.jobId} ended ${end.state} at ${end.at}, not cancelled, ${why}`);
  }
};

const cancelStopsEverything = property("cancelStopsEverything", (run) => {
  const i = run.trace.findIndex((e) => e.type === "cancel");
  if (i < 0) return;
  const at = run.trace[i]!.at;
  const why = `though the run was cancelled at ${at}`;
  const live: StepRef[] = [];
  for (const e of run.trace.slice(0, i)) {
    if (e.type === "submitted") live.push(e);
    else if (e.type === "job_ended" || e.type === "invalid") {
      const j = live.findIndex((r) => same(r, e));
      if (j >= 0) live.splice(j, 1);
    }
  }
  for (const e of run.trace.slice(i)) {
    if (e.type === "submitted") fail(`${refName(e)} was submitted at ${e.at}, ${why}`);
  }
  for (const ref of live) mustEndCancelled(run, ref, at, why);
  if (run.outcome !== "cancelled") fail(`the run ended ${run.outcome}, ${why}`);
});

const stoppedStepsAreCancelled = property("stoppedStepsAreCancelled", (run) => {
  for (const e of run.trace) {
    if (e.type === "stopped") mustEndCancelled(run, e, e.at, `though its step stopped at ${e.at}`);
  }
});

const machineDoesNotThrow = property("machineDoesNotThrow", (run) => {
  const r = run.reason ?? "";
  if (r.startsWith("the pipeline machine failed") || r.startsWith("the pipeline machine stopped")) {
    fail(r);
  }
});

export const builtinProperties = {
  terminates,
  needsRespected,
  retriesHonoured,
  cancelStopsEverything,
  stoppedStepsAreCancelled,
  machineDoesNotThrow,
} as const satisfies Record<string, PipelineProperty>;

export type BuiltinPropertyName = keyof typeof builtinProperties;
