/**
 * Compiles a DAG plan (dag-plan.ts) into the XState machine that runs it.
 *
 *   running (parallel), one region per step:
 *     waiting -> starting -> running -> succeeded | failed | cancelled
 *     (waiting | starting) -> skipped,  starting -> failed
 *   then `succeeded` or `failed` (both final), with output `{ outputs, steps }`
 *
 * A region leaves `waiting` by eventless transitions that read the context, so a step starts in
 * the very step its last need succeeds; fan-out and fan-in need nothing more. `starting`
 * evaluates `when` and the job once (`prepare`): false skips the step, a throw fails it. `running`
 * invokes `runJob`, the step's name as the invoke id. `context.steps` mirrors every region for the
 * supervisor and `context.errors` says why a step failed. A failure under `failFast` sets
 * `halted`, which moves running regions to `cancelled` (leaving the state stops the child, so its
 * job is cancelled) and waiting ones to `skipped`; without it, only the failed step's dependents
 * are skipped (a step whose need was skipped, failed or cancelled is skipped). The run has failed
 * iff a step failed or was cancelled.
 *
 * The version hash (pipeline.ts) reads the machine's config: each region's `meta` holds the
 * step's needs, static job spec and the source of its `job`/`when` functions, and the root's
 * `meta` the options and the declarative source, so changing any of them changes the version.
 */
import { setup, type AnyStateMachine } from "xstate";
import { prepare, type DagPlan, type DagStep, type Prepared } from "./dag-plan.ts";
import type { StepOutputs } from "./outputs.ts";
import { runJob, type RunJobInput, type StepError, type StepOutput } from "./run-job.ts";

export type StepState = "waiting" | "running" | "succeeded" | "failed" | "skipped" | "cancelled";

export interface DagContext {
  readonly input: unknown;
  readonly outputs: StepOutputs;
  readonly steps: Readonly<Record<string, StepState>>;
  /** Why each failed step failed: its job's error, or what its `job`/`when` function threw. */
  readonly errors: Readonly<Record<string, string>>;
  readonly halted: boolean;
  /** Empty in every snapshot: filled and consumed within the step that starts a step. */
  readonly pending: Readonly<Record<string, Prepared>>;
}

/** The finished run's output. */
export interface DagOutput {
  readonly outputs: DagContext["outputs"];
  readonly steps: DagContext["steps"];
}

const dag = setup({
  types: { context: {} as DagContext, input: {} as unknown, output: {} as DagOutput },
  actors: { runJob },
});

const ended = new Set<StepState | undefined>(["failed", "skipped", "cancelled"]);

const without = <V>(record: Readonly<Record<string, V>>, key: string) =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));

const region = (step: DagStep, failFast: boolean) => {
  const { name, needs, job, when } = step;
  const mark = (state: StepState) =>
    dag.assign({ steps: ({ context }) => ({ ...context.steps, [name]: state }) });
  const fail = (why: (context: DagContext, error: unknown) => string) =>
    dag.assign({
      steps: ({ context }) => ({ ...context.steps, [name]: "failed" }),
      errors: ({ context, event }) => ({
        ...context.errors,
        [name]: why(context, (event as { error?: unknown }).error),
      }),
      halted: ({ context }) => context.halted || failFast,
      pending: ({ context }) => without(context.pending, name),
    });
  const pending = (c: DagContext) => c.pending[name];
  const drop = dag.assign({ pending: ({ context }) => without(context.pending, name) });
  return dag.createStateConfig({
    initial: "waiting",
    meta: { needs, job, when },
    states: {
      waiting: {
        always: [
          {
            guard: ({ context }) =>
              context.halted || needs.some((n) => ended.has(context.steps[n])),
            target: "skipped",
            actions: mark("skipped"),
          },
          {
            guard: ({ context }) => needs.every((n) => context.steps[n] === "succeeded"),
            target: "starting",
            actions: dag.assign({
              pending: ({ context }) => ({
                ...context.pending,
                [name]: prepare(step, { input: context.input, outputs: context.outputs }),
              }),
            }),
          },
        ],
      },
      starting: {
        always: [
          {
            guard: ({ context }) => "error" in (pending(context) ?? {}),
            target: "failed",
            actions: fail((c) => (pending(c) as { error: string }).error),
          },
          {
            guard: ({ context }) => "skip" in (pending(context) ?? {}),
            target: "skipped",
            actions: [mark("skipped"), drop],
          },
          { target: "running", actions: mark("running") },
        ],
      },
      running: {
        always: [
          {
            guard: ({ context }) => context.halted,
            target: "cancelled",
            actions: mark("cancelled"),
          },
          {
            // The child has been spawned with the job: the context need not keep it.
            guard: ({ context }) => pending(context) !== undefined,
            actions: drop,
          },
        ],
        invoke: {
          id: name,
          src: "runJob",
          input: ({ context }) => (pending(context) as { job: RunJobInput }).job,
          onDone: {
            target: "succeeded",
            actions: dag.assign({
              outputs: ({ context, event }) => ({
                ...context.outputs,
                [name]: (event.output as StepOutput).outputs,
              }),
              steps: ({ context }) => ({ ...context.steps, [name]: "succeeded" }),
            }),
          },
          onError: {
            target: "failed",
            actions: fail(
              (_, error) => (error as StepError | undefined)?.message ?? "the job failed",
            ),
          },
        },
      },
      succeeded: { type: "final" },
      failed: { type: "final" },
      skipped: { type: "final" },
      cancelled: { type: "final" },
    },
  });
};

/** The machine that runs `plan`. */
export const compileDag = (plan: DagPlan): AnyStateMachine =>
  dag.createMachine({
    id: plan.name,
    meta: { failFast: plan.failFast, source: plan.source },
    initial: "running",
    context: ({ input }) => ({
      input: input ?? {},
      outputs: {},
      steps: Object.fromEntries(plan.steps.map((s) => [s.name, "waiting" as const])),
      errors: {},
      halted: false,
      pending: {},
    }),
    states: {
      running: {
        type: "parallel",
        states: Object.fromEntries(plan.steps.map((s) => [s.name, region(s, plan.failFast)])),
        onDone: [
          {
            guard: ({ context }) =>
              Object.values(context.steps).some((s) => s === "failed" || s === "cancelled"),
            target: "failed",
          },
          { target: "succeeded" },
        ],
      },
      succeeded: { type: "final" },
      failed: { type: "final" },
    },
    output: ({ context }) => ({ outputs: context.outputs, steps: context.steps }),
  });
