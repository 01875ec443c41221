/**
 * One step of a run's machine, applied to the pipeline actor's context: what the step started
 * becomes jobs to submit, what it stopped before its job ended becomes jobs to cancel, and a
 * machine that finished ends the run. A top-level final state named `failed` fails the run
 * (its output's `reason`, if any, says why); any other final state succeeds it.
 */
import type { Stepper, Stepped } from "../src/domain/pipeline-machine.ts";
import type { PipelineContext, Reduced } from "./pipeline-context.ts";
import type { PipelineEffect, RunOutcome, StepRecord } from "./pipeline-messages.ts";

export const running = (steps: PipelineContext["steps"]) =>
  Object.entries(steps).filter(([, s]) => s.state === "running");

export const end = (
  ctx: PipelineContext,
  outcome: RunOutcome,
  reason: string | null,
  at: number,
) => {
  const steps = { ...ctx.steps };
  const effects: PipelineEffect[] = [];
  for (const [id, s] of running(ctx.steps)) {
    steps[id] = { ...s, state: "cancelled", finishedAt: at };
    effects.push({ type: "pipeline.cancel_step", runId: ctx.runId, key: s.key, jobId: s.jobId });
  }
  const context = { ...ctx, steps, outcome, reason, deadline: null };
  effects.push({ type: "pipeline.transitioned", runId: ctx.runId, state: outcome, at });
  return { context, effects };
};

export const apply = (
  ctx: PipelineContext,
  stepped: Stepped,
  stepper: Stepper,
  at: number,
  changed = false,
): Reduced => {
  if (!stepped.ok) return end(ctx, "failed", stepped.reason, at);
  const steps: Record<string, StepRecord> = { ...ctx.steps };
  const effects: PipelineEffect[] = [];
  for (const child of stepped.stopped) {
    const s = steps[child.id];
    if (s === undefined || s.key !== child.key || s.state !== "running") continue;
    steps[child.id] = { ...s, state: "cancelled", finishedAt: at };
    effects.push({ type: "pipeline.cancel_step", runId: ctx.runId, key: s.key, jobId: s.jobId });
  }
  for (const child of stepped.started) {
    steps[child.id] = {
      key: child.key,
      state: "running",
      jobId: null,
      startedAt: at,
      finishedAt: null,
      error: null,
    };
    effects.push({
      type: "pipeline.submit",
      runId: ctx.runId,
      step: child.id,
      key: child.key,
      spec: child.spec,
    });
  }
  const { snapshot } = stepped.state;
  let outcome: RunOutcome = "running";
  let reason: string | null = null;
  const output = (snapshot as { output?: unknown }).output ?? null;
  if (snapshot.status === "done") {
    outcome = snapshot.value === "failed" ? "failed" : "succeeded";
    if (outcome === "failed") {
      const given = (output as { reason?: unknown } | null)?.reason;
      reason = typeof given === "string" ? given : 'the pipeline ended in its "failed" state';
    }
  } else if (snapshot.status !== "active") {
    outcome = "failed";
    reason = `the pipeline machine stopped with status ${snapshot.status}`;
  }
  const next: PipelineContext = {
    ...ctx,
    machine: stepped.state,
    steps,
    output,
    deadline: outcome === "running" ? stepper.nextTimer(stepped.state) : null,
  };
  if (outcome !== "running") {
    const ended = end(next, outcome, reason, at);
    return { context: ended.context, effects: [...effects, ...ended.effects] };
  }
  // A message that changed nothing a run record shows (a tick before its time, a signal the
  // machine ignored) is not worth a record write.
  const moved =
    changed ||
    effects.length > 0 ||
    JSON.stringify(snapshot.value) !== JSON.stringify(ctx.machine?.snapshot.value);
  if (moved)
    effects.push({ type: "pipeline.transitioned", runId: ctx.runId, state: "running", at });
  return { context: next, effects };
};
