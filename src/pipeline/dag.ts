/**
 * The typed DAG builder: what developers write every day.
 *
 *   export const ci = pipeline<{ branch: string }>("ci")
 *     .step("build", { command: { argv: ["make"] }, retry: { maxAttempts: 2 } })
 *     .matrix("test", { node: ["18", "20"] }, ({ node }) => ({
 *       needs: ["build"], command: { shell: "npm test", env: { NODE_VERSION: node } } }))
 *     .step("deploy", { needs: ["test"], when: ({ input }) => input.branch === "main",
 *       job: ({ outputs }) => ({ command: { argv: ["deploy", String(outputs.build?.artifact)] } }) });
 *
 * Each call returns a new builder whose type knows one more name; `needs` accepts only names
 * declared before, so an unknown need or a cycle does not compile. The same checks run at run
 * time (for JavaScript and the declarative form), and an inline job spec is decoded at once, so a
 * typo fails where it was written. A matrix adds a step per combination (`test-18`, `test-20`);
 * needing the matrix's name waits for all of them. The builder is itself a `Pipeline`: `machine`
 * and `version` are compiled on first read (dag-machine.ts) and cached; no `.build()`.
 */
import { InvalidInput, PipelineInvalid } from "../domain/errors.ts";
import { compileDag } from "./dag-machine.ts";
import {
  addStep,
  checkFree,
  combinationName,
  combinations,
  emptyPlan,
  refuse,
  type AxisValue,
  type DagPlan,
  type StepInput,
} from "./dag-plan.ts";
import type { StepContext } from "./outputs.ts";
import { fromMachine, type Pipeline, type PlannedStep } from "./pipeline.ts";
import type { RunJobInput } from "./run-job.ts";

export type { StepContext, StepOutputs } from "./outputs.ts";
export type { AxisValue } from "./dag-plan.ts";

export interface PipelineOptions {
  /** Default true: a failed step cancels the running steps and skips the waiting ones. */
  readonly failFast?: boolean;
}

/** A job computed when the step starts, from the run's input and earlier steps' outputs. */
export type JobFn<I> = (ctx: StepContext<I>) => RunJobInput;

interface StepBase<I, N extends string> {
  /** Steps (or matrices) that must succeed first. */
  readonly needs?: ReadonlyArray<N>;
  /** Evaluated once the needs have succeeded: false skips the step (and its dependents). */
  readonly when?: (ctx: StepContext<I>) => boolean;
}

/** A step: its job inline (the `runJob` fields) or as `job`, a spec or a function. */
export type StepConfig<I, N extends string> = StepBase<I, N> &
  (
    | (RunJobInput & { readonly job?: never })
    | ({ readonly job: RunJobInput | JobFn<I> } & { readonly [K in keyof RunJobInput]?: never })
  );

export type Axes = Readonly<Record<string, ReadonlyArray<AxisValue>>>;
/** One combination of a matrix: a value for every axis. */
export type Combination<A extends Axes> = { readonly [K in keyof A]: A[K][number] };

class PipelineBuilder<I, N extends string> implements Pipeline {
  readonly kind = "hodei.pipeline" as const;
  readonly #plan: DagPlan;
  #compiled: Pipeline | undefined;
  #planned: ReadonlyArray<PlannedStep> | undefined;

  constructor(plan: DagPlan) {
    this.#plan = plan;
  }

  get name() {
    return this.#plan.name;
  }
  get machine() {
    return this.#pipeline().machine;
  }
  get version() {
    return this.#pipeline().version;
  }
  get plan(): ReadonlyArray<PlannedStep> {
    return (this.#planned ??= this.#plan.steps.map(({ name, needs }) => ({ name, needs })));
  }
  get source(): unknown {
    return this.#plan.source;
  }

  #pipeline(): Pipeline {
    const { name, steps, source } = this.#plan;
    if (steps.length === 0) {
      const issue = { path: "steps", message: "a pipeline needs at least one step" };
      throw refuse(PipelineInvalid, issue, `pipeline "${name}"`);
    }
    this.#compiled ??= fromMachine(name, compileDag(this.#plan), { plan: this.plan, source });
    return this.#compiled;
  }

  /** Adds a step; its `needs` may name any step or matrix added before. */
  step<S extends string>(name: S, config: StepConfig<I, N>): PipelineBuilder<I, N | S> {
    return new PipelineBuilder(addStep(this.#plan, name, config as StepInput));
  }

  /** Adds one step per combination of `axes`, named `<name>-<value>-...`; `name` needs them all. */
  matrix<S extends string, const A extends Axes>(
    name: S,
    axes: A,
    make: (combination: Combination<A>) => StepConfig<I, N>,
  ): PipelineBuilder<I, N | S> {
    const ctx = `pipeline "${this.#plan.name}", matrix "${name}"`;
    const combos = combinations(axes);
    if (combos.length === 0) {
      throw refuse(InvalidInput, { path: "axes", message: "no combination" }, ctx);
    }
    checkFree(this.#plan, name, ctx);
    const names = combos.map((c) => combinationName(name, Object.values(c)));
    const plan = combos.reduce(
      (p, combo, i) => addStep(p, names[i]!, make(combo as Combination<A>) as StepInput),
      this.#plan,
    );
    return new PipelineBuilder({ ...plan, targets: new Map(plan.targets).set(name, names) });
  }
}

export type { PipelineBuilder };

/** A new pipeline; `I` is the type of the input a run is started with. */
export const pipeline = <I = unknown>(
  name: string,
  options: PipelineOptions = {},
): PipelineBuilder<I, never> => new PipelineBuilder(emptyPlan(name, options.failFast ?? true));

/** For the declarative form: a builder whose pipeline records the definition it came from. */
export const pipelineFromSource = (
  name: string,
  options: PipelineOptions,
  source: unknown,
): PipelineBuilder<unknown, string> =>
  new PipelineBuilder(emptyPlan(name, options.failFast ?? true, source));
