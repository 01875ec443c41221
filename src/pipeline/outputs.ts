/**
 * What a step sees when it starts, and the declarative form's two ways of reading it.
 *
 * A step's context is `{ input, outputs }`: the run's input and, by step name, the `outputs` of
 * every step that has succeeded so far. The builder hands it to `job(ctx)` and `when(ctx)`;
 * a declarative definition reads it through
 * - templates: `${{ input.<path> }}` and `${{ outputs.<step>.<key> }}` inside any string of a job
 *   spec, substituted when the step starts (a string as it is, anything else as JSON);
 * - conditions: `{ input | output: path, eq | neq | in | exists }` (see domain/pipeline.ts).
 *
 * Step names may contain dots, so `outputs.a.b.key` is split at the longest step name that
 * prefixes it. A reference that finds nothing when the step starts is an error naming it, not
 * an empty string: an argv with a silently missing argument fails far from its cause.
 */
import type { JsonValue } from "../domain/json.ts";
import type { StepCondition } from "../domain/pipeline.ts";

export type StepOutputs = Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;

/** What `job` and `when` are given: the run's input and the outputs of the succeeded steps. */
export interface StepContext<I = unknown> {
  readonly input: I;
  readonly outputs: StepOutputs;
}

/** A parsed reference: into the input, or into one step's outputs. */
export type Ref =
  | { readonly from: "input"; readonly path: ReadonlyArray<string> }
  | { readonly from: "output"; readonly step: string; readonly path: ReadonlyArray<string> };

const segments = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** `build.version` (step `build`, key `version`) against the pipeline's step names. */
export const parseOutputPath = (text: string, steps: ReadonlyArray<string>): Ref | string => {
  const step = steps.filter((s) => text.startsWith(`${s}.`)).sort((a, b) => b.length - a.length)[0];
  if (step === undefined) return `"${text}" does not start with a step name and a key`;
  const rest = text.slice(step.length + 1);
  if (!segments.test(rest)) return `"${rest}" is not a key path (keys separated by '.')`;
  return { from: "output", step, path: rest.split(".") };
};

/** The inside of `${{ ... }}`: `input.<path>` or `outputs.<step>.<key>`. */
export const parseExpression = (expr: string, steps: ReadonlyArray<string>): Ref | string => {
  if (expr.startsWith("input.") && segments.test(expr.slice(6))) {
    return { from: "input", path: expr.slice(6).split(".") };
  }
  if (expr.startsWith("outputs.")) return parseOutputPath(expr.slice(8), steps);
  return `"${expr}" is neither input.<path> nor outputs.<step>.<key>`;
};

const template = /\$\{\{(.*?)\}\}/g;

/** The expressions of every `${{ ... }}` in `text`, trimmed. */
export const expressionsIn = (text: string): ReadonlyArray<string> =>
  [...text.matchAll(template)].map((m) => (m[1] ?? "").trim());

const describeRef = (ref: Ref): string =>
  ref.from === "input"
    ? `the input has no "${ref.path.join(".")}"`
    : `step "${ref.step}" has no output "${ref.path.join(".")}"`;

/** The value a reference points at, or undefined when any part of the path is absent. */
export const lookup = (ctx: StepContext, ref: Ref): unknown => {
  let value: unknown = ref.from === "input" ? ctx.input : ctx.outputs[ref.step];
  for (const key of ref.path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
};

const show = (value: unknown): string =>
  typeof value === "string" ? value : JSON.stringify(value);

/** `text` with every template substituted; throws naming the first reference that is absent. */
export const renderString = (text: string, ctx: StepContext, steps: ReadonlyArray<string>) =>
  text.replace(template, (whole, expr: string) => {
    const ref = parseExpression(expr.trim(), steps);
    if (typeof ref === "string") throw new Error(`${whole}: ${ref}`);
    const value = lookup(ctx, ref);
    if (value === undefined) throw new Error(`${whole}: ${describeRef(ref)}`);
    return show(value);
  });

/** A JSON value with the templates of all its strings (not its keys) substituted. */
export const render = (value: unknown, ctx: StepContext, steps: ReadonlyArray<string>): unknown => {
  if (typeof value === "string") return renderString(value, ctx, steps);
  if (Array.isArray(value)) return value.map((v) => render(v, ctx, steps));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, render(v, ctx, steps)] as const),
  );
};

/** The reference a condition reads (its `output` already checked to parse). */
export const conditionRef = (c: StepCondition, steps: ReadonlyArray<string>): Ref | string =>
  c.input !== undefined
    ? { from: "input", path: c.input.split(".") }
    : parseOutputPath(c.output ?? "", steps);

/** Mirrors constraint.ts: `neq` holds when the value is absent, `eq` and `in` need it present. */
export const conditionHolds = (c: StepCondition, ref: Ref, ctx: StepContext): boolean => {
  const value = lookup(ctx, ref);
  if (c.eq !== undefined) return value === c.eq;
  if (c.neq !== undefined) return value !== c.neq;
  if (c.in !== undefined) return value !== undefined && c.in.includes(value as never);
  return (value !== undefined) === c.exists;
};
