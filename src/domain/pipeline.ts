/**
 * PipelineDefinition: a named DAG of steps, each step one job, connected by `needs`.
 *
 * The schema checks each step on its own; `validatePipeline` checks the graph, which a schema
 * cannot see: step names are unique, every `needs` names a step, and there is no cycle (a cycle
 * would leave its steps waiting on each other forever). The cycle is reported as the path that
 * closes it, arrows following `needs`: "a -> b -> c -> a" reads "a needs b, b needs c, c needs a".
 *
 * `when` is a structured condition on the run's input or an earlier step's output, with the
 * operators of constraint.ts: `{ "input": "branch", "eq": "main" }`, `{ "output": "build.version",
 * "exists": true }`. No expression language: the schema checks it all. `failFast` (default true)
 * cancels the other steps when one fails. `version` tells a restored run which definition it
 * belongs to.
 */
import { Either, Schema } from "effect";
import type { Issue } from "./errors.ts";
import { PipelineInvalid } from "./errors.ts";
import { PipelineName } from "./ids.ts";
import { JobSpec } from "./job-spec.ts";
import { boundedString, expected, Limits, objectExpected, patternString } from "./primitives.ts";

export const StepName = patternString(
  /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  64,
  "a step name: a letter or digit, then letters, digits, '.', '_', '-', at most 64",
).annotations({ identifier: "StepName" });

const Scalar = Schema.Union(
  boundedString(0, Limits.labelValueLength),
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
).annotations(expected("a string, number, boolean or null"));

const one = (names: ReadonlyArray<string>, what: string) => (c: object) => {
  const present = names.filter((n) => (c as Record<string, unknown>)[n] !== undefined);
  if (present.length === 1) return undefined;
  const [first = names[0]!, second] = present;
  return second === undefined
    ? { path: [first], message: `is missing: a condition needs one of ${what}` }
    : {
        path: [second],
        message: `is not allowed with "${first}": a condition takes one of ${what}`,
      };
};

/** Runs the step only if the value at `input` (a path) or `output` (`step.key`) passes one test. */
export const StepCondition = Schema.Struct({
  input: Schema.optionalWith(
    patternString(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 256, "an input path: keys joined by '.'"),
    { exact: true },
  ),
  output: Schema.optionalWith(
    patternString(/^[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9_-]+$/, 256, "a step and key: step.key"),
    { exact: true },
  ),
  eq: Schema.optionalWith(Scalar, { exact: true }),
  neq: Schema.optionalWith(Scalar, { exact: true }),
  in: Schema.optionalWith(Schema.Array(Scalar).pipe(Schema.minItems(1), Schema.maxItems(64)), {
    exact: true,
  }),
  exists: Schema.optionalWith(Schema.Boolean, { exact: true }),
})
  .annotations(objectExpected("a condition object { input | output, eq | neq | in | exists }"))
  .pipe(
    Schema.filter(one(["input", "output"], '"input" or "output"')),
    Schema.filter(one(["eq", "neq", "in", "exists"], '"eq", "neq", "in", "exists"')),
    Schema.annotations({
      identifier: "StepCondition",
      description: "a test on the run's input or a step's output: eq, neq, in or exists",
    }),
  );
export type StepCondition = typeof StepCondition.Type;

export const PipelineStep = Schema.Struct({
  name: StepName,
  job: JobSpec,
  needs: Schema.optionalWith(
    Schema.Array(StepName).pipe(
      Schema.maxItems(Limits.stepCount, {
        message: () => `Expected at most ${Limits.stepCount} needs`,
      }),
    ),
    { exact: true, default: () => [] },
  ),
  when: Schema.optionalWith(StepCondition, { exact: true }),
}).annotations({
  identifier: "PipelineStep",
  description: "one job of a pipeline, started once every step it needs has succeeded",
  ...objectExpected("a step object { name, job, needs, when }"),
});
export type PipelineStep = typeof PipelineStep.Type;

export const PipelineDefinition = Schema.Struct({
  name: PipelineName.annotations(
    expected("a pipeline name: lowercase letters, digits, '_', '-', at most 64"),
  ),
  version: Schema.optionalWith(boundedString(1, 64), { exact: true }),
  failFast: Schema.optionalWith(Schema.Boolean, { exact: true }),
  steps: Schema.Array(PipelineStep).pipe(
    Schema.minItems(1, { message: () => "Expected at least one step" }),
    Schema.maxItems(Limits.stepCount, {
      message: () => `Expected at most ${Limits.stepCount} steps`,
    }),
  ),
}).annotations({
  identifier: "PipelineDefinition",
  description: "a named DAG of jobs",
  ...objectExpected("a pipeline object { name, steps }"),
});
export type PipelineDefinition = typeof PipelineDefinition.Type;

const invalid = (issues: ReadonlyArray<Issue>, cycle?: ReadonlyArray<string>): PipelineInvalid => {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new PipelineInvalid({
    message: `${first?.path}: ${first?.message}${more}`,
    issues,
    ...(cycle ? { cycle } : {}),
  });
};

/** The first cycle along `needs`, as step names with the first repeated last, or undefined. */
const findCycle = (
  steps: ReadonlyArray<PipelineStep>,
): { path: ReadonlyArray<string>; closedAt: Issue["path"] } | undefined => {
  const index = new Map(steps.map((s, i) => [s.name, i]));
  // 0 unvisited, 1 on the current path, 2 done: a need that is on the current path closes a cycle.
  const mark = new Array<0 | 1 | 2>(steps.length).fill(0);
  const stack: number[] = [];
  const visit = (i: number): ReturnType<typeof findCycle> => {
    mark[i] = 1;
    stack.push(i);
    const needs = steps[i]!.needs;
    for (let j = 0; j < needs.length; j++) {
      const k = index.get(needs[j]!)!;
      if (mark[k] === 1) {
        const path = stack.slice(stack.indexOf(k)).map((s) => steps[s]!.name);
        return { path: [...path, steps[k]!.name], closedAt: `steps.${i}.needs.${j}` };
      }
      if (mark[k] === 0) {
        const found = visit(k);
        if (found) return found;
      }
    }
    stack.pop();
    mark[i] = 2;
    return undefined;
  };
  for (let i = 0; i < steps.length; i++) {
    if (mark[i] === 0) {
      const found = visit(i);
      if (found) return found;
    }
  }
  return undefined;
};

/** Checks the graph of a decoded definition; returns it unchanged when it is a DAG. */
export const validatePipeline = (
  def: PipelineDefinition,
): Either.Either<PipelineDefinition, PipelineInvalid> => {
  const issues: Issue[] = [];
  const firstIndex = new Map<string, number>();
  def.steps.forEach((step, i) => {
    const first = firstIndex.get(step.name);
    if (first === undefined) firstIndex.set(step.name, i);
    else
      issues.push({
        path: `steps.${i}.name`,
        message: `duplicate step name "${step.name}", first used by steps.${first}`,
      });
  });
  def.steps.forEach((step, i) =>
    step.needs.forEach((need, j) => {
      if (!firstIndex.has(need)) {
        issues.push({
          path: `steps.${i}.needs.${j}`,
          message: `step "${step.name}" needs "${need}", which is not a step of this pipeline`,
        });
      }
    }),
  );
  if (issues.length > 0) return Either.left(invalid(issues));
  const cycle = findCycle(def.steps);
  if (cycle) {
    const message = `cycle in needs: ${cycle.path.join(" -> ")}`;
    return Either.left(invalid([{ path: cycle.closedAt, message }], cycle.path));
  }
  return Either.right(def);
};
