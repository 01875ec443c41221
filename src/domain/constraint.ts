/**
 * Constraints: which workers a job may run on, judged by the workers' labels.
 *
 * A small Nomad-like set of operators, enough for "gpu=true", "zone != eu-west-1",
 * "arch in (amd64, arm64)" and "has an ssd label". A job also has `labels`, a plain record that
 * is shorthand for one `eq` constraint per entry, because that is what most jobs need.
 *
 * `neq` holds when the label is absent too (the worker is not "zone=eu" if it has no zone);
 * every other operator needs the label present. Matching is pure, so the scheduler can run it in
 * its hot path and the API can explain a refusal with `describeConstraint`.
 */
import { Schema } from "effect";
import { atMost, LabelKey, Labels, LabelValue, Limits, objectExpected } from "./primitives.ts";

// One member per operator: a single literal per member lets Effect pick the member by `op`, so
// an error speaks of that member's fields only instead of listing every alternative.
export const Constraint = Schema.Union(
  Schema.Struct({ key: LabelKey, op: Schema.Literal("eq"), value: LabelValue }),
  Schema.Struct({ key: LabelKey, op: Schema.Literal("neq"), value: LabelValue }),
  Schema.Struct({
    key: LabelKey,
    op: Schema.Literal("in"),
    values: Schema.Array(LabelValue).pipe(
      Schema.minItems(1, { message: () => "Expected at least one value" }),
      Schema.maxItems(Limits.labelCount, {
        message: () => `Expected at most ${Limits.labelCount} values`,
      }),
      Schema.annotations({ description: "label values, any of which matches" }),
    ),
  }),
  Schema.Struct({ key: LabelKey, op: Schema.Literal("exists") }),
).annotations({
  identifier: "Constraint",
  description: "a condition on one worker label: eq/neq a value, in a set of values, or exists",
  ...objectExpected("a constraint object { key, op, value(s) }"),
});
export type Constraint = typeof Constraint.Type;

export const Constraints = Schema.Array(Constraint).pipe(
  Schema.maxItems(Limits.constraintCount, {
    message: atMost(Limits.constraintCount, "constraints", "an array of constraints"),
  }),
);

/** True when a worker with `labels` satisfies `c`. */
export const matchesConstraint = (labels: Labels, c: Constraint): boolean => {
  const actual = Object.hasOwn(labels, c.key) ? labels[c.key] : undefined;
  switch (c.op) {
    case "eq":
      return actual === c.value;
    case "neq":
      return actual !== c.value;
    case "in":
      return actual !== undefined && c.values.includes(actual);
    case "exists":
      return actual !== undefined;
  }
};

/** The first requirement (label or constraint) a worker fails, or undefined when it matches all. */
export const firstUnmet = (
  labels: Labels,
  required: Labels,
  constraints: ReadonlyArray<Constraint>,
): Constraint | undefined => {
  for (const [key, value] of Object.entries(required)) {
    const c: Constraint = { key, op: "eq", value };
    if (!matchesConstraint(labels, c)) return c;
  }
  return constraints.find((c) => !matchesConstraint(labels, c));
};

/** Human form for explanations: `gpu=true`, `zone!=eu`, `arch in (amd64, arm64)`, `ssd exists`. */
export const describeConstraint = (c: Constraint): string => {
  switch (c.op) {
    case "eq":
      return `${c.key}=${c.value}`;
    case "neq":
      return `${c.key}!=${c.value}`;
    case "in":
      return `${c.key} in (${c.values.join(", ")})`;
    case "exists":
      return `${c.key} exists`;
  }
};
