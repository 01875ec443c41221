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
import type { MachineState, Stepper, Stepped } from "../src/pipeline/stepper.ts";
import { doneEvent, errorEvent } from "../src/pipeline/run-job.ts";
import type {
  PipelineEffect,
  PipelineMessage,
  RunOutcome,
  StepRecord,
} from "./pipeline-messages.ts";

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

/** The machine a pipeline of this name runs now, or undefined when there is none. */
export type PipelineResolver = (
  pipeline: string,
) => { readonly version: string; readonly stepper: Stepper } | undefined;

export interface Reduced {
  readonly context: PipelineContext;
  readonly effects: ReadonlyArray<PipelineEffect>;
}

const running = (steps: PipelineContext["steps"]) =>
  Object.entries(steps).filter(([, s]) => s.state === "running");

const end = (ctx: PipelineContext, outcome: RunOutcome, reason: string | null, at: number) => {
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

const apply = (ctx: PipelineContext, stepped: Stepped, stepper: Stepper, at: number): Reduced => {
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
  effects.push({ type: "pipeline.transitioned", runId: ctx.runId, state: "running", at });
  return { context: next, effects };
};

const stepWithKey = (ctx: PipelineContext, key: string) =>
  Object.entries(ctx.steps).find(([, s]) => s.key === key);

/** The run's first step: start the machine. */
export const begin = (resolve: PipelineResolver, ctx: PipelineContext, at: number): Reduced => {
  const p = resolve(ctx.pipeline);
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
  const p = resolve(ctx.pipeline);
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
      const effects: PipelineEffect[] = running(ctx.steps).map(([step, s]) => ({
        type: "pipeline.submit",
        runId: ctx.runId,
        step,
        key: s.key,
        spec: stepChildSpec(ctx, step),
      }));
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
      const effects: PipelineEffect[] =
        s.state === "running"
          ? []
          : [{ type: "pipeline.cancel_step", runId: ctx.runId, key: s.key, jobId: m.jobId }];
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
      return apply(marked, stepper.send(ctx.machine, event, m.at), stepper, m.at);
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
