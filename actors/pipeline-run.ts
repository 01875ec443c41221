/**
 * The pipeline actor's reducer: one message in, the next context and its effects out.
 *
 * The actor holds its pipeline's machine as data (`MachineState`: the machine's persisted
 * snapshot and its timers), steps it with the pipeline's `Stepper`, and turns what the step
 * changed into effects: a `runJob` child that appeared is a job to submit, one that went away
 * before its job ended is a job to cancel. The run ends when the machine does: in a top-level
 * final state named `failed` it has failed (its output's `reason`, if any, says why), in any
 * other it has succeeded.
 *
 * Before every message the actor checks that its pipeline is still registered with the version
 * the run started on; if not, the run fails with that reason and its steps are cancelled. A run
 * is never continued on a machine it was not started with.
 */
import { doneEvent, errorEvent } from "../src/domain/pipeline-step.ts";
import { apply, end } from "./pipeline-apply.ts";
import type { PipelineContext, PipelineResolver, Reduced } from "./pipeline-context.ts";
import type { PipelineEffect, PipelineMessage, StepRecord } from "./pipeline-messages.ts";

export {
  initialContext,
  type PipelineContext,
  type PipelineInput,
  type PipelineResolver,
  type Reduced,
} from "./pipeline-context.ts";

const stepWithKey = (ctx: PipelineContext, key: string) =>
  Object.entries(ctx.steps).find(([, s]) => s.key === key);

/** The run's first step: start the machine. */
export const begin = (resolve: PipelineResolver, ctx: PipelineContext, at: number): Reduced => {
  const p = resolve(ctx.pipeline, ctx.version);
  if (p === undefined || p.version !== ctx.version) {
    return end(ctx, "failed", `pipeline "${ctx.pipeline}" has no version ${ctx.version} here`, at);
  }
  return apply(ctx, p.stepper.start(ctx.input, at), p.stepper, at);
};

/** Every later message; undefined when it changes nothing (a stale or repeated report). */
export const reduce = (
  resolve: PipelineResolver,
  ctx: PipelineContext,
  m: PipelineMessage,
): Reduced | undefined => {
  if (ctx.outcome !== "running" || ctx.machine === null) return undefined;
  const p = resolve(ctx.pipeline, ctx.version);
  if (p === undefined) {
    return end(ctx, "failed", `pipeline "${ctx.pipeline}" is not registered any more`, m.at);
  }
  if (p.version !== ctx.version) {
    const why = `pipeline "${ctx.pipeline}" changed since this run started (version ${ctx.version}, now ${p.version}); a run is never continued on another definition`;
    return end(ctx, "failed", why, m.at);
  }
  const { stepper } = p;
  switch (m.type) {
    case "resume": {
      // The steps in flight are submitted again: their keys find the jobs already created.
      // Steps stopped before their job was known are cancelled again: the cancel may not have
      // been carried out before the restart (the host finds the job by its key).
      const effects: PipelineEffect[] = Object.entries(ctx.steps).flatMap(
        ([step, s]): PipelineEffect[] =>
          s.state === "running"
            ? [
                {
                  type: "pipeline.submit",
                  runId: ctx.runId,
                  step,
                  key: s.key,
                  spec: stepChildSpec(ctx, step),
                },
              ]
            : s.state === "cancelled" && s.jobId === null
              ? [{ type: "pipeline.cancel_step", runId: ctx.runId, key: s.key, jobId: null }]
              : [],
      );
      const fired = apply(ctx, stepper.fire(ctx.machine, m.at), stepper, m.at);
      return { context: fired.context, effects: [...effects, ...fired.effects] };
    }
    case "tick":
      return apply(ctx, stepper.fire(ctx.machine, m.at), stepper, m.at);
    case "signal":
      return apply(ctx, stepper.send(ctx.machine, m.event, m.at), stepper, m.at);
    case "cancel":
      return end(ctx, "cancelled", m.reason ?? "cancelled", m.at);
    case "step_started": {
      const found = stepWithKey(ctx, m.key);
      if (found === undefined || found[1].jobId === m.jobId) return undefined;
      const [id, s] = found;
      const context = { ...ctx, steps: { ...ctx.steps, [id]: { ...s, jobId: m.jobId } } };
      // Stopped before its job was known: cancel it now that it is.
      const effects: PipelineEffect[] = [
        ...(s.state === "cancelled"
          ? [
              {
                type: "pipeline.cancel_step" as const,
                runId: ctx.runId,
                key: s.key,
                jobId: m.jobId,
              },
            ]
          : []),
        { type: "pipeline.transitioned", runId: ctx.runId, state: ctx.outcome, at: m.at },
      ];
      return { context, effects };
    }
    case "step_finished": {
      const found = stepWithKey(ctx, m.key);
      if (found === undefined || found[1].state !== "running") return undefined;
      const [id, s] = found;
      const o = m.outcome;
      const record: StepRecord = o.ok
        ? { ...s, state: "succeeded", jobId: o.output.jobId, finishedAt: m.at }
        : {
            ...s,
            state: o.error.state === "cancelled" ? "cancelled" : "failed",
            jobId: o.error.jobId ?? s.jobId,
            finishedAt: m.at,
            error: o.error.message,
          };
      const marked = { ...ctx, steps: { ...ctx.steps, [id]: record } };
      const event = o.ok ? doneEvent(id, o.output) : errorEvent(id, o.error);
      return apply(marked, stepper.send(ctx.machine, event, m.at), stepper, m.at, true);
    }
  }
};

/** The spec a running step was invoked with, read back from the machine's snapshot. */
const stepChildSpec = (ctx: PipelineContext, step: string) => {
  const children = (ctx.machine?.snapshot as { children?: Record<string, unknown> } | undefined)
    ?.children;
  const child = children?.[step] as { snapshot?: { context?: { spec?: unknown } } } | undefined;
  return (child?.snapshot?.context?.spec ?? {}) as never;
};
