/**
 * `runJob`: the actor logic a pipeline machine invokes to run one job.
 *
 *   invoke: { id: "build", src: "runJob", input: { command: { argv: ["make"] } },
 *             onDone: "test", onError: "failed" }
 *
 * It performs nothing itself. A pipeline machine is stepped purely (the same way the job and
 * worker actors are), so an invoked `runJob` child is only a record in the machine's snapshot:
 * the job spec it was given and a fresh key. The pipeline actor notices the new child after the
 * step, and once that snapshot is committed it submits the job with the key as its idempotency
 * key; a crash between the commit and the submit re-submits the same key, which finds the same
 * job. When the job ends, the actor delivers XState's own `xstate.done.actor.<id>` (output: a
 * `StepOutput`) or `xstate.error.actor.<id>` (error: a `StepError`) to the machine, so `onDone`
 * and `onError` read as they do for any invoked actor. Leaving the invoking state stops the
 * child, and the actor cancels its job.
 */
import { randomUUID } from "node:crypto";
import type { ActorLogic, AnyEventObject, Snapshot } from "xstate";
import type { JsonValue } from "../domain/json.ts";
import type { JobSpecInput } from "../domain/job-spec.ts";

/** Marks a child snapshot as a `runJob` child: the pipeline actor looks for it. */
export const runJobMarker = "hodei.runJob";

/** What a step's job produced. `outputs` are the handler's JSON result, or a command's outputs. */
export interface StepOutput {
  readonly jobId: string;
  readonly outputs: Readonly<Record<string, JsonValue>>;
  readonly exitCode: number | null;
}

/** Why a step's job did not succeed. */
export interface StepError {
  readonly jobId: string | null;
  /** The job's final state, or `invalid` when its spec was refused before it was created. */
  readonly state: "failed" | "timed_out" | "cancelled" | "invalid";
  readonly message: string;
  readonly exitCode: number | null;
}

/** The job to run: a JobSpec as a caller writes it; `name` defaults to the step's id. */
export type RunJobInput = Omit<JobSpecInput, "name" | "idempotencyKey"> & {
  readonly name?: string;
};

export interface RunJobContext {
  readonly hodei: typeof runJobMarker;
  /** Unique per invocation: the job's idempotency key (prefixed with the run's id). */
  readonly key: string;
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
    context: { hodei: runJobMarker, key: randomUUID(), spec: input },
  }),
  getPersistedSnapshot: (snapshot) => snapshot,
  restoreSnapshot: (persisted) => persisted as RunJobSnapshot,
};

/** A `runJob` child of a pipeline machine's snapshot: its invoke id, key and spec. */
export interface StepChild {
  readonly id: string;
  readonly key: string;
  readonly spec: RunJobInput;
}

const isRunJobContext = (c: unknown): c is RunJobContext =>
  typeof c === "object" && c !== null && (c as { hodei?: unknown }).hodei === runJobMarker;

/** The `runJob` children of a machine snapshot (live or persisted), by invoke id. */
export const stepChildren = (snapshot: {
  readonly children: Readonly<Record<string, unknown>>;
}): ReadonlyMap<string, StepChild> => {
  const found = new Map<string, StepChild>();
  for (const [id, child] of Object.entries(snapshot.children)) {
    // A live child is an actor ref; a persisted one is { snapshot, src }.
    const ref = child as {
      getSnapshot?: () => { context?: unknown };
      snapshot?: { context?: unknown };
    };
    const context =
      typeof ref.getSnapshot === "function" ? ref.getSnapshot().context : ref.snapshot?.context;
    if (isRunJobContext(context)) found.set(id, { id, key: context.key, spec: context.spec });
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

/** XState's own completion events for an invoked child. */
export const doneEvent = (childId: string, output: StepOutput): AnyEventObject => ({
  type: `xstate.done.actor.${childId}`,
  output,
  actorId: childId,
});
export const errorEvent = (childId: string, error: StepError): AnyEventObject => ({
  type: `xstate.error.actor.${childId}`,
  error,
  actorId: childId,
});
