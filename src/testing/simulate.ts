/**
 * `simulatePipeline`: one run of a pipeline under a scenario, on a virtual clock, to its end.
 *
 * The run is the real pipeline actor stepping the pipeline's machine (host.ts) and real job
 * actors for its steps (jobs.ts); the scenario's signals, cancel and restart are scheduled from
 * outside. The loop runs events until the run has ended and every job it created has ended, the
 * queue is empty with the run still going (it waits for something that will never come:
 * `stuck`), or `maxEvents` have run (`exhausted`: it does not stop).
 *
 * A run is a pure function of its scenario: same scenario, same trace.
 */
import type { RunOutcome, StepRecord } from "../../actors/pipeline-messages.ts";
import type { JobState } from "../domain/job-state.ts";
import type { Pipeline, PlannedStep } from "../pipeline/pipeline.ts";
import { makeClock } from "./clock.ts";
import { pipelineActorFor, startRunHost, type RunHost } from "./host.ts";
import { makeJobWorld, type JobWorld } from "./jobs.ts";
import type { Scenario } from "./scenario.ts";
import type { StepRef, TraceEvent } from "./trace.ts";

export interface SimulationOptions {
  /** The event budget of one run: past it, the run `exhausted` it. Default 2 000. */
  readonly maxEvents?: number;
  /** The supervisor's grace for a cancelled job to stop. Default 10 000 (its default). */
  readonly cancelGraceMs?: number;
  /** The supervisor's wait for an agent to start an assignment. Default 30 000. */
  readonly acceptTimeoutMs?: number;
}

/** How the simulation stopped: the run ended, it waits forever, or it never stops. */
export type Termination = "ended" | "stuck" | "exhausted";

export interface SimulatedJob extends StepRef {
  readonly jobId: string;
  readonly maxAttempts: number;
  readonly timeoutMs: number | null;
  readonly state: JobState;
  /** Runs started, as the retry policy counts them. */
  readonly attempts: number;
  readonly createdAt: number;
  readonly endedAt: number | null;
}

export interface SimulatedRun {
  readonly pipeline: { readonly name: string; readonly plan?: ReadonlyArray<PlannedStep> };
  readonly scenario: Scenario;
  readonly trace: ReadonlyArray<TraceEvent>;
  readonly termination: Termination;
  /** `running` unless the run ended. */
  readonly outcome: RunOutcome;
  readonly reason: string | null;
  /** The machine's `output` once it is done, or null. */
  readonly output: unknown;
  /** The pipeline actor's record of each step, as of its latest invocation. */
  readonly steps: Readonly<Record<string, StepRecord>>;
  readonly jobs: ReadonlyArray<SimulatedJob>;
  /** Virtual time when the simulation stopped. */
  readonly endedAt: number;
  readonly events: number;
}

export type Simulator = (scenario: Scenario) => SimulatedRun;

/** A simulator for one pipeline: builds the actors once, then runs any number of scenarios. */
export const makeSimulator = (pipeline: Pipeline, options: SimulationOptions = {}): Simulator => {
  const actor = pipelineActorFor(pipeline);
  const maxEvents = options.maxEvents ?? 2_000;
  const described = {
    name: pipeline.name,
    ...(pipeline.plan !== undefined ? { plan: pipeline.plan } : {}),
  };
  return (scenario) => {
    const clock = makeClock(0);
    const trace: TraceEvent[] = [];
    const record = (e: TraceEvent) => void trace.push(e);
    let host: RunHost | undefined;
    const world: JobWorld = makeJobWorld({
      clock,
      scenario,
      cancelGraceMs: options.cancelGraceMs ?? 10_000,
      acceptTimeoutMs: options.acceptTimeoutMs ?? 30_000,
      record,
      onEnded: (job, t) => host?.jobEnded(job, t),
    });
    for (const s of scenario.signals) clock.schedule(s.at, "world", () => host?.signal(s.event));
    if (scenario.cancelAt !== null)
      clock.schedule(scenario.cancelAt, "world", () => host?.cancel());
    if (scenario.restartAt !== null) {
      clock.schedule(scenario.restartAt, "world", () => host?.restart());
    }
    host = startRunHost({
      actor,
      pipeline,
      runId: "run-1",
      input: scenario.input,
      latencyMs: scenario.latencyMs,
      clock,
      world: () => world,
      record,
    });
    let events = 0;
    let termination: Termination = "stuck";
    for (;;) {
      if (host.done() && world.allEnded()) {
        termination = "ended";
        break;
      }
      if (events >= maxEvents) {
        termination = "exhausted";
        break;
      }
      if (!clock.next()) {
        termination = host.done() ? "ended" : "stuck";
        break;
      }
      events++;
    }
    const ctx = host.context();
    return {
      pipeline: described,
      scenario,
      trace,
      termination,
      outcome: ctx.outcome,
      reason: ctx.reason,
      output: ctx.output,
      steps: ctx.steps,
      jobs: world.jobs().map((j) => ({
        ...j.ref,
        jobId: j.jobId,
        maxAttempts: j.maxAttempts,
        timeoutMs: j.timeoutMs,
        state: j.snapshot.value as JobState,
        attempts: j.snapshot.context.starts,
        createdAt: j.createdAt,
        endedAt: j.endedAt,
      })),
      endedAt: clock.now(),
      events,
    };
  };
};

/** One run of `pipeline` under `scenario`. To run many, make a simulator once. */
export const simulatePipeline = (
  pipeline: Pipeline,
  scenario: Scenario,
  options: SimulationOptions = {},
): SimulatedRun => makeSimulator(pipeline, options)(scenario);
