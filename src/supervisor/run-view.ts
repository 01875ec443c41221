/**
 * A pipeline run as the API shows it and the store keeps it: built from the pipeline actor's
 * context (which steps ran, their jobs, the run's outcome) and, for a DAG pipeline, its plan and
 * its machine's `context.steps` (which steps are still waiting or were skipped).
 */
import type { PipelineContext } from "../../actors/pipeline.ts";
import type { StepOutcome } from "../../actors/pipeline-messages.ts";
import type { JobState } from "../domain/job-state.ts";
import type { JsonValue } from "../domain/json.ts";
import { Limits } from "../domain/primitives.ts";
import type { PipelineRun, RunStep, RunStepState } from "../persistence/pipelines.ts";
import type { Pipeline, PipelineRegistry } from "../pipeline/pipeline.ts";

const stepNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Invoke ids are free-form; the record's step names are not. */
export const stepNameOf = (id: string): string => {
  if (stepNamePattern.test(id) && id.length <= 64) return id;
  const cleaned = id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return (cleaned.length > 0 ? cleaned : "step").slice(0, 64);
};

/** JSON-safe and within bounds, or undefined: a run record must always be storable. */
const json = (value: unknown): unknown => {
  if (value === undefined || value === null) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined || text.length > Limits.jsonLength ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

const planStates = (ctx: PipelineContext): Readonly<Record<string, RunStepState>> => {
  const inner = (ctx.machine?.snapshot.context as { steps?: unknown } | undefined)?.steps;
  return typeof inner === "object" && inner !== null ? (inner as Record<string, RunStepState>) : {};
};

export const runOf = (
  ctx: PipelineContext,
  pipeline: Pipeline | undefined,
  updatedAt: number,
): PipelineRun => {
  const jobs: Record<string, string> = {};
  const steps: RunStep[] = [];
  const seen = new Set<string>();
  const planned = planStates(ctx);
  const push = (id: string, fallback: RunStepState, needs?: ReadonlyArray<string>) => {
    const name = stepNameOf(id);
    seen.add(id);
    const s = ctx.steps[id];
    if (s?.jobId) jobs[name] = s.jobId;
    // The actor's record of a step that ended wins: a stopped machine's view stays as it was.
    const state =
      s !== undefined && s.state !== "running" ? s.state : (planned[id] ?? s?.state ?? fallback);
    steps.push({
      name,
      // A cancelled run's waiting steps never start: show them skipped, not waiting forever.
      state: ctx.outcome !== "running" && state === "waiting" ? "skipped" : state,
      ...(needs ? { needs: needs.map(stepNameOf) } : {}),
      ...(s?.jobId ? { jobId: s.jobId } : {}),
      ...(s ? { startedAt: s.startedAt } : {}),
      ...(s?.finishedAt != null ? { finishedAt: s.finishedAt } : {}),
      ...(s?.error != null ? { error: s.error.slice(0, Limits.messageLength) } : {}),
    } as unknown as RunStep);
  };
  for (const p of pipeline?.plan ?? []) push(p.name, "waiting", p.needs);
  const rest = Object.entries(ctx.steps)
    .filter(([id]) => !seen.has(id))
    .sort(([, a], [, b]) => a.startedAt - b.startedAt);
  for (const [id, s] of rest) push(id, s.state);
  const input = json(ctx.input);
  const output = json(ctx.output);
  return {
    id: ctx.runId,
    pipeline: ctx.pipeline,
    version: ctx.version,
    state: ctx.outcome,
    createdAt: ctx.startedAt,
    updatedAt,
    jobs,
    steps,
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(ctx.reason !== null ? { reason: ctx.reason.slice(0, Limits.messageLength) } : {}),
  } as unknown as PipelineRun;
};

/** The run as it is at `now`, with the plan of the version it runs (not a newer one's). */
export const currentRun = (
  ctx: PipelineContext,
  registry: PipelineRegistry,
  now: number,
): PipelineRun => runOf(ctx, registry.get(ctx.pipeline, ctx.version), now);

/** What a finished job tells its step. */
export const outcomeOf = (
  jobId: string,
  state: JobState,
  result:
    | {
        readonly exitCode?: number | null;
        readonly output?: unknown;
        readonly error?: string | null;
      }
    | null
    | undefined,
): StepOutcome => {
  const exitCode = result?.exitCode ?? null;
  if (state === "succeeded") {
    const o = result?.output;
    const outputs =
      typeof o === "object" && o !== null && !Array.isArray(o)
        ? (o as Record<string, JsonValue>)
        : o === undefined || o === null
          ? {}
          : { value: o as JsonValue };
    return { ok: true, output: { jobId, outputs, exitCode } };
  }
  return {
    ok: false,
    error: {
      jobId,
      state: state === "timed_out" || state === "cancelled" ? state : "failed",
      message: result?.error ?? `the job ended ${state}`,
      exitCode,
    },
  };
};
