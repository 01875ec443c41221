/**
 * `runJob`: the actor logic a pipeline machine invokes to run one job.
 *
 *   invoke: { id: "build", src: "runJob", input: { command: { argv: ["make"] } },
 *             onDone: "test", onError: "failed" }
 *
 * It performs nothing itself. A pipeline machine is stepped purely (the same way the job and
 * worker actors are), so an invoked `runJob` child is only a record in the machine's snapshot:
 * the job spec it was given and a key. The key is not made here (no random id inside a step):
 * the child starts without one, and the stepper names it after the step with the run's next
 * key number (`nameSteps`), so the keys, like the rest of the run, follow from its input and
 * messages. The pipeline actor notices the new child after the step, and once that snapshot is
 * committed it submits the job with `pipeline/<runId>/<key>` as its idempotency key; a crash
 * between the commit and the submit re-submits the same key, which finds the same job. When
 * the job ends, the actor delivers XState's own `xstate.done.actor.<id>` (output: a
 * `StepOutput`) or `xstate.error.actor.<id>` (error: a `StepError`) to the machine, so `onDone`
 * and `onError` read as they do for any invoked actor. Leaving the invoking state stops the
 * child, and the actor cancels its job.
 */
import type { ActorLogic, AnyEventObject, Snapshot } from "xstate";
import type { MachineSnapshot } from "../domain/pipeline-machine.ts";
import type { RunJobInput, StepChild, StepOutput } from "../domain/pipeline-step.ts";

export type { RunJobInput, StepError, StepOutput } from "../domain/pipeline-step.ts";

/** Marks a child snapshot as a `runJob` child: the pipeline actor looks for it. */
export const runJobMarker = "hodei.runJob";

export interface RunJobContext {
  readonly hodei: typeof runJobMarker;
  /** Unique per invocation within the run; null until the step that invoked it is named. */
  readonly key: string | null;
  readonly spec: RunJobInput;
}

export type RunJobSnapshot = Snapshot<StepOutput> & { readonly context: RunJobContext };

export type RunJobLogic = ActorLogic<RunJobSnapshot, AnyEventObject, RunJobInput>;

/** The `runJob` logic: give it to `setup({ actors: { runJob } })`. */
export const runJob: RunJobLogic = {
  config: runJobMarker,
  transition: (snapshot) => snapshot,
  getInitialSnapshot: (_scope, input) => ({
    status: "active",
    output: undefined,
    error: undefined,
    context: { hodei: runJobMarker, key: null, spec: input },
  }),
  getPersistedSnapshot: (snapshot) => snapshot,
  restoreSnapshot: (persisted) => persisted as RunJobSnapshot,
};

/** A child as a persisted machine snapshot holds it. */
interface PersistedChild {
  readonly snapshot?: { readonly context?: unknown };
}

const runJobContext = (child: unknown): RunJobContext | undefined => {
  const c = (child as PersistedChild | null)?.snapshot?.context;
  return typeof c === "object" && c !== null && (c as { hodei?: unknown }).hodei === runJobMarker
    ? (c as RunJobContext)
    : undefined;
};

const childrenOf = (snapshot: MachineSnapshot): Readonly<Record<string, unknown>> =>
  (snapshot as { children?: Record<string, unknown> }).children ?? {};

/**
 * Names the `runJob` children a step invoked (those without a key), in the snapshot's order,
 * with the run's next id numbers from `issued` on: the snapshot with their keys, and how many
 * ids the run has issued after it.
 */
export const nameSteps = (
  snapshot: MachineSnapshot,
  issued: number,
): { readonly snapshot: MachineSnapshot; readonly issued: number } => {
  const children = childrenOf(snapshot);
  let next = issued;
  let named: Record<string, unknown> | undefined;
  for (const [id, child] of Object.entries(children)) {
    const context = runJobContext(child);
    if (context === undefined || context.key !== null) continue;
    named ??= { ...children };
    const c = child as PersistedChild & Record<string, unknown>;
    named[id] = {
      ...c,
      snapshot: { ...c.snapshot, context: { ...context, key: String(next++) } },
    };
  }
  return named === undefined
    ? { snapshot, issued: next }
    : { snapshot: { ...snapshot, children: named }, issued: next };
};

/** The `runJob` children of a persisted machine snapshot, by invoke id (named ones only). */
export const stepChildren = (snapshot: MachineSnapshot): ReadonlyMap<string, StepChild> => {
  const found = new Map<string, StepChild>();
  for (const [id, child] of Object.entries(childrenOf(snapshot))) {
    const context = runJobContext(child);
    if (context !== undefined && context.key !== null)
      found.set(id, { id, key: context.key, spec: context.spec });
  }
  return found;
};

/** The children started and stopped between two snapshots, by key. */
export const stepChanges = (
  before: ReadonlyMap<string, StepChild>,
  after: ReadonlyMap<string, StepChild>,
): { readonly started: ReadonlyArray<StepChild>; readonly stopped: ReadonlyArray<StepChild> } => {
  const keysBefore = new Set([...before.values()].map((c) => c.key));
  const keysAfter = new Set([...after.values()].map((c) => c.key));
  return {
    started: [...after.values()].filter((c) => !keysBefore.has(c.key)),
    stopped: [...before.values()].filter((c) => !keysAfter.has(c.key)),
  };
};
