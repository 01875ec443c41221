/**
 * `runJob`: the actor logic a pipeline machine invokes to run one job.
 *
 *   invoke: { id: "build", src: "runJob", input: { command: { argv: ["make"] } },
 *             onDone: "test", onError: "failed" }
 *
 * It performs nothing itself. A pipeline machine is stepped purely (the same way the job and
 * worker actors are), so an invoked `runJob` child is only a record in the machine's snapshot:
 * the job spec it was given and a key. The key is no random id: the stepper that steps the
 * machine numbers the steps it invokes with the run's own count (`numberStepsIn`), so the keys,
 * like the rest of the run, follow from its input and messages. The pipeline actor notices the
 * new child after the step, and once that snapshot is committed it submits the job with
 * `pipeline/<runId>/<key>` as its idempotency key; a crash between the commit and the submit
 * re-submits the same key, which finds the same job. When the job ends, the actor delivers XState's own `xstate.done.actor.<id>` (output: a
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
  /** Unique per invocation within the run; null when invoked outside a stepper (no job). */
  readonly key: string | null;
  readonly spec: RunJobInput;
}

/**
 * Where a stepper puts its numbering on the actor system it steps machines in: a registered
 * symbol, so a `runJob` from another copy of this module (a test importing the sources next to
 * the built kit) finds it too.
 */
const numbering = Symbol.for("hodei.runJob.numbering");

type Numbered = { [numbering]?: () => string };

/**
 * Has `next` name every `runJob` child invoked by a machine stepped in `system` (its actor
 * scope's system): called at once, in the order the step invokes them.
 */
export const numberStepsIn = (system: object, next: () => string): void => {
  (system as Numbered)[numbering] = next;
};

export type RunJobSnapshot = Snapshot<StepOutput> & { readonly context: RunJobContext };

export type RunJobLogic = ActorLogic<RunJobSnapshot, AnyEventObject, RunJobInput>;

/** The `runJob` logic: give it to `setup({ actors: { runJob } })`. */
export const runJob: RunJobLogic = {
  config: runJobMarker,
  transition: (snapshot) => snapshot,
  getInitialSnapshot: (scope, input) => ({
    status: "active",
    output: undefined,
    error: undefined,
    context: {
      hodei: runJobMarker,
      key: (scope.system as Numbered)[numbering]?.() ?? null,
      spec: input,
    },
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
