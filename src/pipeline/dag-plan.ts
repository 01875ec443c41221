/**
 * The plan of a DAG pipeline: its steps, in the order they were declared, each with its needs
 * already resolved to step names. The typed builder (dag.ts) and the declarative form both grow
 * a plan one step at a time through `addStep`, which refuses what the types cannot see:
 * - a step name that is not a `StepName`, or a duplicate one (InvalidInput, PipelineInvalid);
 * - a need that names no step or matrix declared before (so cycles are impossible);
 * - an inline job spec that does not decode, or a job given both inline and as `job`.
 * A need on a matrix's name resolves to all of its combinations (fan-in). Every refusal names
 * the pipeline and the path of the problem: `pipeline "ci": steps.2.needs.0: ...`. `prepare` is
 * what a step does once its needs have succeeded, evaluated once by the machine (dag-machine.ts).
 */
import { Either, Schema } from "effect";
import { decodeJobSpec } from "../domain/decode.ts";
import { InvalidInput, PipelineInvalid, type Issue } from "../domain/errors.ts";
import { PipelineName } from "../domain/ids.ts";
import { StepName } from "../domain/pipeline.ts";
import type { StepContext } from "./outputs.ts";
import type { RunJobInput } from "./run-job.ts";

/** One step of a plan: its needs are step names (a matrix already expanded). */
export interface DagStep {
  readonly name: string;
  readonly needs: ReadonlyArray<string>;
  readonly job: RunJobInput | ((ctx: StepContext) => RunJobInput);
  readonly when?: (ctx: StepContext) => boolean;
}

export interface DagPlan {
  readonly name: string;
  readonly failFast: boolean;
  readonly steps: ReadonlyArray<DagStep>;
  /** What a need may name (a step or a matrix) -> the steps it waits for. */
  readonly targets: ReadonlyMap<string, ReadonlyArray<string>>;
  /** The declarative definition the plan was compiled from, if any. */
  readonly source?: unknown;
}

/** A step as given, before its needs are resolved: the job inline or as `job`. */
export type StepInput = RunJobInput & {
  readonly needs?: ReadonlyArray<string>;
  readonly when?: DagStep["when"];
  readonly job?: DagStep["job"];
};

export type AxisValue = string | number | boolean;

/** What a step does once its needs have succeeded: run a job, be skipped, or fail. */
export type Prepared =
  { readonly job: RunJobInput } | { readonly skip: true } | { readonly error: string };

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Evaluates `when`, then the job, each once; a throw fails the step with its message. */
export const prepare = ({ job, when }: DagStep, ctx: StepContext): Prepared => {
  try {
    if (when !== undefined && !when(ctx)) return { skip: true };
  } catch (e) {
    return { error: `when threw: ${messageOf(e)}` };
  }
  try {
    return { job: typeof job === "function" ? job(ctx) : job };
  } catch (e) {
    return { error: `job threw: ${messageOf(e)}` };
  }
};

export const refuse = (
  Err: typeof InvalidInput | typeof PipelineInvalid,
  issue: Issue,
  ctx: string,
) => new Err({ message: `${ctx}: ${issue.path}: ${issue.message}`, issues: [issue] });

/** An empty plan; refuses a name that is not a `PipelineName`. */
export const emptyPlan = (name: string, failFast: boolean, source?: unknown): DagPlan => {
  if (!Schema.is(PipelineName)(name)) {
    const message = `"${name}" is not a pipeline name: lowercase letters, digits, '_', '-', at most 64`;
    throw new InvalidInput({ message, issues: [{ path: "name", message }] });
  }
  const plan = { name, failFast, steps: [], targets: new Map() };
  return source === undefined ? plan : { ...plan, source };
};

/** The sanitised StepName of a matrix combination: `test-18-ubuntu_22.04`. */
export const combinationName = (name: string, values: ReadonlyArray<AxisValue>): string =>
  [name, ...values.map((v) => String(v).replace(/[^A-Za-z0-9._-]+/g, "_"))].join("-");

/** Every combination of one value per axis, axes in their order. */
export const combinations = (
  axes: Readonly<Record<string, ReadonlyArray<AxisValue>>>,
): ReadonlyArray<Record<string, AxisValue>> =>
  Object.entries(axes).reduce<ReadonlyArray<Record<string, AxisValue>>>(
    (acc, [axis, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [axis]: v }))),
    [{}],
  );

/** Refuses `name` if a step or matrix already has it. */
export const checkFree = (plan: DagPlan, name: string, ctx: string): void => {
  if (plan.targets.has(name)) {
    const message = `duplicate step name "${name}"`;
    throw refuse(PipelineInvalid, { path: `steps.${plan.steps.length}.name`, message }, ctx);
  }
};

/** `plan` with one more step, checked as the header says. */
export const addStep = (plan: DagPlan, name: string, input: StepInput): DagPlan => {
  const ctx = `pipeline "${plan.name}"`;
  const at = `steps.${plan.steps.length}`;
  if (!Schema.is(StepName)(name)) {
    const message = `"${name}" is not a step name: a letter or digit, then letters, digits, '.', '_', '-', at most 64`;
    throw refuse(InvalidInput, { path: `${at}.name`, message }, ctx);
  }
  checkFree(plan, name, ctx);
  const { needs = [], when, job, ...inline } = input;
  const expanded = needs.flatMap((need, j) => {
    const steps = plan.targets.get(need);
    if (steps !== undefined) return steps;
    const message = `step "${name}" needs "${need}", which is not a step declared before it`;
    throw refuse(PipelineInvalid, { path: `${at}.needs.${j}`, message }, ctx);
  });
  if (job !== undefined && Object.keys(inline).length > 0) {
    const message = `step "${name}" gives its job both inline and as "job"`;
    throw refuse(InvalidInput, { path: `${at}.job`, message }, ctx);
  }
  const spec = job ?? inline;
  const decoded = typeof spec === "function" ? undefined : decodeJobSpec({ name, ...spec });
  if (decoded !== undefined && Either.isLeft(decoded)) {
    const first = decoded.left.issues[0];
    const issue = { path: `${at}.job.${first?.path}`, message: `${first?.message}` };
    throw refuse(InvalidInput, issue, `${ctx}, step "${name}"`);
  }
  const step = { name, needs: [...new Set(expanded)], job: spec, ...(when ? { when } : {}) };
  const targets = new Map(plan.targets).set(name, [name]);
  return { ...plan, steps: [...plan.steps, step], targets };
};
