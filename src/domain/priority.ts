/**
 * Job priority: an integer from 0 to 1000, higher runs first; jobs of equal priority run oldest
 * first.
 *
 * Callers may write a level name instead of a number. The names are shorthands for round values
 * (`low` 250, `normal` 500, `high` 750, `critical` 1000), and a number lets a team place a job
 * between them ("a bit more than normal": 550) without the scheduler knowing two orders. A
 * decoded spec always holds the number, so queues compare plain integers.
 */
import { Schema } from "effect";
import { describeActual } from "./primitives.ts";

export const priorityLevels = {
  low: 250,
  normal: 500,
  high: 750,
  critical: 1000,
} as const;
export type PriorityLevel = keyof typeof priorityLevels;

export const PriorityLevel = Schema.Literal("low", "normal", "high", "critical");

export const defaultPriority: number = priorityLevels.normal;

// Titled so that JSON Schema shows "priority" rather than the auto title "between(0, 1000)".
const PriorityValue = Schema.Int.pipe(
  Schema.between(0, 1000),
  Schema.annotations({ title: "priority", description: "higher runs first" }),
);

const expectedPriority = `a priority: "low", "normal", "high", "critical" or an integer from 0 to 1000`;

export const Priority = Schema.transform(
  Schema.Union(PriorityLevel, PriorityValue),
  PriorityValue,
  {
    strict: true,
    decode: (p) => (typeof p === "string" ? priorityLevels[p] : p),
    encode: (n) => n,
  },
).annotations({
  identifier: "Priority",
  description: `${expectedPriority}; higher runs first`,
  // The union's own message would list both alternatives as two separate issues.
  message: (issue) => ({
    message: `Expected ${expectedPriority}, actual ${describeActual(issue.actual)}`,
    override: true,
  }),
});
export type Priority = typeof Priority.Type;

/** The level a priority falls in, for display and for per-level metrics. */
export const priorityLevelOf = (priority: number): PriorityLevel =>
  priority >= priorityLevels.critical
    ? "critical"
    : priority >= priorityLevels.high
      ? "high"
      : priority >= priorityLevels.normal
        ? "normal"
        : "low";
