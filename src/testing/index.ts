/**
 * `hodei/testing`: property-test your pipelines with fast-check.
 *
 *   import { checkPipeline, property } from "hodei/testing";
 *
 *   checkPipeline(ci, {
 *     input: { branch: "main" },
 *     signals: [{ type: "approve" }, { type: "reject" }],
 *     outputs: { test: fc.record({ coverage: fc.integer({ min: 0, max: 100 }) }) },
 *     properties: [
 *       property("deploys only when approved", (run) =>
 *         !run.trace.some((e) => e.type === "submitted" && e.step === "deploy") ||
 *         run.trace.some((e) => e.type === "signal" && e.event.type === "approve" && e.accepted)),
 *     ],
 *   });
 *
 * Each scenario (what every job attempt does, signals, a cancel, a supervisor restart, at random
 * virtual times) runs on the real pipeline actor and the real job actors, on a virtual clock: a
 * property that fails here fails in the real runtime. `checkPipeline` throws the smallest
 * failing run's trace. `simulatePipeline` runs one scenario you wrote (`scenario`, `attempt`).
 */
export { checkPipeline, firstBroken, PipelineCheckFailed } from "./check.ts";
export type { Broken, CheckOptions } from "./check.ts";
export { builtinProperties, property, PropertyViolation } from "./properties.ts";
export type { BuiltinPropertyName, PipelineProperty } from "./properties.ts";
export { anyStep, attempt, scenario, scenarioArbitrary } from "./scenario.ts";
export type {
  AttemptOutcome,
  AttemptPlan,
  Hiccup,
  Scenario,
  ScenarioOptions,
  TimedSignal,
} from "./scenario.ts";
export { makeSimulator, simulatePipeline } from "./simulate.ts";
export type {
  SimulatedJob,
  SimulatedRun,
  SimulationOptions,
  Simulator,
  Termination,
} from "./simulate.ts";
export { invokedSteps, planProblems, stepsOf } from "./steps.ts";
export { describeEvent, formatTrace, refName } from "./trace.ts";
export type { EndedJobState, StepRef, Trace, TraceEvent } from "./trace.ts";
