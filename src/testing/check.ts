/**
 * `checkPipeline`: property-tests a pipeline. fast-check draws scenarios (scenario.ts), each is
 * simulated on the real actors (simulate.ts), and every property (the built-ins and yours) must
 * hold of every run. On a failure fast-check shrinks the scenario to a smallest one that still
 * fails, and `checkPipeline` throws a `PipelineCheckFailed` whose message is the broken property,
 * why, the trace of that smallest run, and fast-check's report (seed and path to replay it).
 */
import fc from "fast-check";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { builtinProperties, type PipelineProperty } from "./properties.ts";
import { scenarioArbitrary, type Scenario, type ScenarioOptions } from "./scenario.ts";
import { makeSimulator, type SimulatedRun, type SimulationOptions } from "./simulate.ts";
import { planProblems } from "./steps.ts";
import { formatTrace } from "./trace.ts";

export interface CheckOptions extends ScenarioOptions, SimulationOptions {
  /** Your properties, checked after the built-ins. */
  readonly properties?: ReadonlyArray<PipelineProperty>;
  /** The built-ins to check. Default: every one of `builtinProperties`. */
  readonly builtins?: ReadonlyArray<PipelineProperty>;
  /** Scenarios to try. Default 100. */
  readonly numRuns?: number;
  /** Replays a failure: the seed and path its report gives. */
  readonly seed?: number;
  readonly path?: string;
}

export interface Broken {
  readonly property: string;
  readonly message: string;
}

/** The first property the run breaks, and why; undefined when it breaks none. */
export const firstBroken = (
  run: SimulatedRun,
  properties: ReadonlyArray<PipelineProperty>,
): Broken | undefined => {
  for (const p of properties) {
    try {
      if (p.check(run) === false) return { property: p.name, message: "the check returned false" };
    } catch (e) {
      return { property: p.name, message: e instanceof Error ? e.message : String(e) };
    }
  }
  return undefined;
};

/** What `checkPipeline` throws: the smallest failing run, and fast-check's details. */
export class PipelineCheckFailed extends Error {
  override readonly name = "PipelineCheckFailed";
  constructor(
    message: string,
    readonly property: string,
    readonly scenario: Scenario | undefined,
    readonly run: SimulatedRun | undefined,
    readonly details: fc.RunDetails<[Scenario]>,
  ) {
    super(message);
  }
}

const describeFailure = (
  pipeline: Pipeline,
  simulate: (s: Scenario) => SimulatedRun,
  properties: ReadonlyArray<PipelineProperty>,
  details: fc.RunDetails<[Scenario]>,
): PipelineCheckFailed => {
  const report = fc.defaultReportMessage(details) ?? "";
  const scenario = details.counterexample?.[0];
  let run: SimulatedRun | undefined;
  let broken: Broken;
  try {
    run = scenario === undefined ? undefined : simulate(scenario);
    broken = (run && firstBroken(run, properties)) ?? {
      property: "(none)",
      message: details.errorInstance instanceof Error ? details.errorInstance.message : report,
    };
  } catch (e) {
    broken = { property: "(simulation)", message: `the simulation threw: ${String(e)}` };
  }
  const lines = [
    `checkPipeline("${pipeline.name}"): property "${broken.property}" failed: ${broken.message}`,
    "",
    ...(run
      ? [
          `Trace of the smallest failing run (virtual ms; ${run.termination}, run ${run.outcome}):`,
          formatTrace(run.trace, 60),
          "",
        ]
      : []),
    "Replay: checkPipeline with the same options plus the seed and path below, or",
    "simulatePipeline(pipeline, scenario) with the counterexample (error.scenario).",
    report,
  ];
  return new PipelineCheckFailed(lines.join("\n"), broken.property, scenario, run, details);
};

/**
 * Checks the properties on `numRuns` random scenarios; throws `PipelineCheckFailed` if one
 * breaks, or an Error at once if the pipeline's plan does not match its machine.
 */
export const checkPipeline = (pipeline: Pipeline, options: CheckOptions = {}): void => {
  const problems = planProblems(pipeline);
  if (problems.length > 0) {
    throw new Error(`checkPipeline("${pipeline.name}"): ${problems.join("; ")}`);
  }
  const simulate = makeSimulator(pipeline, options);
  const properties = [
    ...(options.builtins ?? Object.values(builtinProperties)),
    ...(options.properties ?? []),
  ];
  const details = fc.check(
    fc.property(scenarioArbitrary(pipeline, options), (scenario) => {
      const broken = firstBroken(simulate(scenario), properties);
      if (broken !== undefined) throw new Error(`${broken.property}: ${broken.message}`);
    }),
    {
      numRuns: options.numRuns ?? 100,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.path !== undefined ? { path: options.path } : {}),
    },
  );
  if (details.failed) throw describeFailure(pipeline, simulate, properties, details);
};
