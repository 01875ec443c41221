/**
 * The steps of a pipeline, found without running it: the ids of the `runJob` invocations in its
 * machine (every state node's `invoke`, at any depth, parallel regions included), plus the
 * steps its plan names. A scenario draws attempt outcomes for each of them; a step invoked
 * under an id found nowhere here (an id computed at run time) uses the scenario's `*` entry.
 */
import type { AnyStateMachine } from "xstate";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { runJob } from "../pipeline/run-job.ts";

interface NodeLike {
  readonly invoke: ReadonlyArray<{ readonly id: string; readonly src: unknown }>;
  readonly states: Readonly<Record<string, NodeLike>>;
}

const isRunJob = (machine: AnyStateMachine, src: unknown): boolean => {
  if (src === runJob) return true;
  if (typeof src !== "string") return false;
  const actors = (machine.implementations as { actors?: Record<string, unknown> }).actors ?? {};
  return actors[src] === runJob || src === "runJob";
};

/** The invoke ids of the machine's `runJob` children, in document order, without repeats. */
export const invokedSteps = (machine: AnyStateMachine): ReadonlyArray<string> => {
  const found: string[] = [];
  const walk = (node: NodeLike) => {
    for (const inv of node.invoke) {
      if (isRunJob(machine, inv.src) && !found.includes(inv.id)) found.push(inv.id);
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as NodeLike);
  return found;
};

/** Every step a scenario should plan for: invoked by the machine or named by the plan. */
export const stepsOf = (pipeline: Pipeline): ReadonlyArray<string> => {
  const steps = [...invokedSteps(pipeline.machine)];
  for (const p of pipeline.plan ?? []) if (!steps.includes(p.name)) steps.push(p.name);
  return steps;
};

/**
 * What is wrong between a pipeline's plan and its machine: a planned step the machine never
 * invokes, a need that names no planned step. Either would make `needsRespected` vacuous.
 */
export const planProblems = (pipeline: Pipeline): ReadonlyArray<string> => {
  const plan = pipeline.plan ?? [];
  const invoked = new Set(invokedSteps(pipeline.machine));
  const planned = new Set(plan.map((p) => p.name));
  const problems: string[] = [];
  for (const p of plan) {
    if (!invoked.has(p.name)) problems.push(`the plan's step "${p.name}" is never invoked`);
    for (const n of p.needs) {
      if (!planned.has(n)) problems.push(`"${p.name}" needs "${n}", which the plan lacks`);
    }
  }
  return problems;
};
