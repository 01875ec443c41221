/**
 * The job actor's most frequent steps, taken without running the machine: its start (entering
 * `queued`), placed (`queued` → `scheduled`), started (`scheduled` → `running`), and succeeded
 * (from `running`, or straight from `scheduled` when the start was folded into the result).
 * Every job that runs takes four of them, and XState's initial snapshot and transitions were
 * most of the actor's cost per job (an initial snapshot alone allocated ~18 KB).
 *
 * They run the machine's own action bodies (`enteredContext`, `transitioned`, `assignment`
 * from job.ts) in the order its entry actions do, and build the snapshot XState would: the
 * target's state nodes, `done` for a final state. Anything else — another state, another
 * message, an attempt that is not the current one (the machine refuses it, visibly) — is
 * `undefined`, and the machine runs. `property-tests/job-shortcut.test.ts` holds the two to
 * the same snapshot and effects on random lifecycles, from the start.
 */
import { createActor, type SnapshotFrom } from "xstate";
import type { JobState } from "../src/domain/job-state.ts";
import {
  assignment,
  enteredContext,
  initialContext,
  jobMachine,
  transitioned,
  type JobEffect,
  type JobInput,
  type JobMachine,
  type JobMessage,
} from "./job.ts";

type JobSnapshot = SnapshotFrom<JobMachine>;

/** From which state, on which message, to which state: the steps taken here. */
const steps: Readonly<Record<string, Partial<Record<JobMessage["type"], JobState>>>> = {
  queued: { schedule: "scheduled" },
  scheduled: { started: "running", succeeded: "succeeded" },
  running: { succeeded: "succeeded" },
};

const root = jobMachine.root;
/** XState lists a final state's node before the root's, an active one's after it. */
const nodesOf = (state: JobState, final: boolean) => {
  const node = root.states[state]!;
  return final ? [node, root] : [root, node];
};

export const jobShortcut = (
  snapshot: JobSnapshot,
  message: JobMessage,
): { readonly snapshot: JobSnapshot; readonly effects: ReadonlyArray<JobEffect> } | undefined => {
  if (snapshot.status !== "active" || typeof snapshot.value !== "string") return undefined;
  const target = steps[snapshot.value]?.[message.type];
  if (target === undefined) return undefined;
  const before = snapshot.context;
  if ("attempt" in message && message.attempt !== before.attempt) return undefined;
  const context = enteredContext(target, before, message);
  const final = target === "succeeded";
  const effects: JobEffect[] = [transitioned(target, context, message)];
  if (target === "scheduled") effects.push(assignment(context));
  return {
    snapshot: {
      ...snapshot,
      status: final ? "done" : "active",
      context,
      _nodes: nodesOf(target, final),
      value: target,
      tags: new Set(),
    } as JobSnapshot,
    effects,
  };
};

/** A snapshot XState made, for the fields every snapshot of this machine shares. */
const template: JobSnapshot = createActor(jobMachine, {
  input: {
    jobId: "template",
    retry: { maxAttempts: 1, initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: 0 },
    timeoutMs: null,
    cancelGraceMs: 0,
    at: 0,
  },
}).getSnapshot();

/** A new job, entering `queued`: what `getInitialSnapshot` gives. */
export const jobStartShortcut = (
  input: JobInput,
): { readonly snapshot: JobSnapshot; readonly effects: ReadonlyArray<JobEffect> } => {
  const init = { type: "xstate.init", input } as unknown as JobMessage;
  const context = enteredContext("queued", initialContext(input), init);
  return {
    snapshot: {
      ...template,
      status: "active",
      context,
      _nodes: nodesOf("queued", false),
      value: "queued",
      tags: new Set(),
    } as JobSnapshot,
    effects: [transitioned("queued", context, init)],
  };
};
