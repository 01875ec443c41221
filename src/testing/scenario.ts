/**
 * A scenario: everything the world does to one run of a pipeline, decided up front, so a run is
 * a pure function of its scenario and fast-check can draw, shrink and replay it.
 *
 * - `attempts`: per step (its invoke id; `*` for any other), the plans of its job's runs, used
 *   in turn by every run of every job of that step and cycled when exhausted. A plan says how the
 *   run ends (success with outputs, failure with an exit code, timeout, lost worker), how long
 *   each phase takes, and whether the assignment first comes back unstarted (a hiccup, which
 *   uses no attempt of the retry policy).
 * - `signals` (from the user's list), `cancelAt`, `restartAt` (a supervisor crash and recovery):
 *   at virtual times. `latencyMs`: how long the supervisor takes to create a step's job.
 *
 * `scenarioArbitrary` draws them; `scenario` and `attempt` write one by hand.
 */
import fc from "fast-check";
import type { SignalEvent } from "../../actors/pipeline-messages.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { stepsOf } from "./steps.ts";

export type AttemptOutcome = "succeeded" | "failed" | "timed_out" | "worker_lost";

/** Before it starts, an assignment may come back: declined by the agent, or its worker lost. */
export type Hiccup = "none" | "rejected" | "worker_lost";

export interface AttemptPlan {
  /** How the run ends. On a job with `timeoutMs`, a run longer than that times out anyway. */
  readonly outcome: AttemptOutcome;
  readonly hiccup: Hiccup;
  /** Queued to scheduled on a worker. */
  readonly queueMs: number;
  /** Assigned to started by the agent. */
  readonly startMs: number;
  /** Started to the agent's report (or to the worker's loss). */
  readonly durationMs: number;
  /** Asked to cancel to the agent's confirmation; past the grace period the job is cancelled. */
  readonly stopMs: number;
  /** The exit code of a failed run. */
  readonly exitCode: number;
  /** What a successful run outputs. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

export interface TimedSignal {
  readonly at: number;
  readonly event: SignalEvent;
}

export interface Scenario {
  readonly input: unknown;
  readonly attempts: Readonly<Record<string, ReadonlyArray<AttemptPlan>>>;
  readonly signals: ReadonlyArray<TimedSignal>;
  readonly cancelAt: number | null;
  readonly restartAt: number | null;
  readonly latencyMs: number;
}

export interface ScenarioOptions {
  /** The run's input: a value, or an arbitrary to draw it from. Default `{}`. */
  readonly input?: unknown;
  /** The signals the world may send, at random times. */
  readonly signals?: ReadonlyArray<SignalEvent>;
  /** Per step, what its successful runs output. Default: small random JSON objects. */
  readonly outputs?: Readonly<Record<string, fc.Arbitrary<Readonly<Record<string, unknown>>>>>;
  /** Signals, cancel and restart fall in [0, horizonMs]. Default 10 000. */
  readonly horizonMs?: number;
  /** The longest run of a job. Default 1 000. */
  readonly maxDurationMs?: number;
  /** Runs may fail, time out, lose their worker, come back unstarted. Default true. */
  readonly failures?: boolean;
  /** The run may be cancelled. Default true. */
  readonly cancel?: boolean;
  /** The supervisor may crash and recover once. Default true. */
  readonly restart?: boolean;
  /** At most this many signals. Default 3. */
  readonly maxSignals?: number;
}

/** The scenario key for a step not listed on its own. */
export const anyStep = "*";

export const attempt = (plan: Partial<AttemptPlan> = {}): AttemptPlan => ({
  outcome: "succeeded",
  hiccup: "none",
  queueMs: 0,
  startMs: 0,
  durationMs: 1,
  stopMs: 0,
  exitCode: 1,
  outputs: {},
  ...plan,
});

/** Every job succeeds at once, nothing else happens; give what differs. */
export const scenario = (s: Partial<Scenario> = {}): Scenario => ({
  input: {},
  attempts: {},
  signals: [],
  cancelAt: null,
  restartAt: null,
  latencyMs: 0,
  ...s,
});

const smallJson: fc.Arbitrary<Readonly<Record<string, unknown>>> = fc.dictionary(
  fc.constantFrom("ok", "version", "count", "url"),
  fc.oneof(fc.integer({ min: -3, max: 100 }), fc.boolean(), fc.string({ maxLength: 6 })),
  { maxKeys: 3 },
);

/** Shrinking may move a value to an earlier alternative: a failure towards a success. */
const cross = { withCrossShrink: true } as const;

/** `null` (what shrinking aims for) `weight` times as often as a time. */
const sometimes = (on: boolean, weight: number, arb: fc.Arbitrary<number>) =>
  on
    ? fc.oneof(cross, { weight, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })
    : fc.constant(null);

const attemptArbitrary = (
  outputs: fc.Arbitrary<Readonly<Record<string, unknown>>>,
  failures: boolean,
  maxDurationMs: number,
): fc.Arbitrary<AttemptPlan> =>
  fc.record({
    outcome: failures
      ? fc.oneof(
          cross,
          { weight: 5, arbitrary: fc.constant("succeeded" as const) },
          { weight: 2, arbitrary: fc.constant("failed" as const) },
          { weight: 1, arbitrary: fc.constant("timed_out" as const) },
          { weight: 1, arbitrary: fc.constant("worker_lost" as const) },
        )
      : fc.constant("succeeded" as const),
    hiccup: failures
      ? fc.oneof(
          cross,
          { weight: 8, arbitrary: fc.constant("none" as const) },
          { weight: 1, arbitrary: fc.constant("rejected" as const) },
          { weight: 1, arbitrary: fc.constant("worker_lost" as const) },
        )
      : fc.constant("none" as const),
    queueMs: fc.integer({ min: 0, max: 50 }),
    startMs: fc.integer({ min: 0, max: 50 }),
    durationMs: fc.integer({ min: 1, max: Math.max(1, maxDurationMs) }),
    stopMs: fc.oneof(
      cross,
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
    ),
    exitCode: fc.integer({ min: 1, max: 255 }),
    outputs,
  });

/** Scenarios for `pipeline`: one plan list per step it can run, and the world's interventions. */
export const scenarioArbitrary = (
  pipeline: Pipeline,
  options: ScenarioOptions = {},
): fc.Arbitrary<Scenario> => {
  const horizon = options.horizonMs ?? 10_000;
  const outputs = options.outputs ?? {};
  const steps = [...new Set([...stepsOf(pipeline), ...Object.keys(outputs), anyStep])];
  const plans = (step: string) =>
    fc.array(
      attemptArbitrary(
        outputs[step] ?? smallJson,
        options.failures ?? true,
        options.maxDurationMs ?? 1_000,
      ),
      { minLength: 1, maxLength: 4 },
    );
  const signals = options.signals ?? [];
  const time = fc.integer({ min: 0, max: horizon });
  return fc.record({
    input: options.input instanceof fc.Arbitrary ? options.input : fc.constant(options.input ?? {}),
    attempts: fc.record(Object.fromEntries(steps.map((s) => [s, plans(s)]))),
    signals:
      signals.length === 0
        ? fc.constant([])
        : fc.array(fc.record({ at: time, event: fc.constantFrom(...signals) }), {
            maxLength: options.maxSignals ?? 3,
          }),
    cancelAt: sometimes(options.cancel ?? true, 2, time),
    restartAt: sometimes(options.restart ?? true, 3, time),
    latencyMs: fc.integer({ min: 0, max: 30 }),
  });
};
