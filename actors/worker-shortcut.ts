/**
 * The worker actor's most frequent steps, taken without running the machine.
 *
 * - A heartbeat (ten thousand agents send one a second), in every state that takes one: the
 *   `alive` action moves the deadline and `lastHeartbeatAt`, nothing is emitted, the state
 *   stays (the eventless transitions of `draining` and `connected.choose` look at the job
 *   list, which a heartbeat does not touch).
 * - A job assigned to, or finished on, a `busy` worker that stays busy (every job run does
 *   both): `addJob` / `removeJob` change the job list, nothing else.
 * Running XState's transition for these was a quarter of the supervisor's heartbeat CPU, and
 * two of every job's transitions.
 *
 * The machine stays the definition: in any other state, or for any other message, this says
 * `undefined` and the machine runs. `property-tests/worker-shortcut.test.ts` holds the two to
 * the same snapshot and effects on random message sequences.
 */
import type { SnapshotFrom } from "xstate";
import { isLastJob, without, withJob, type WorkerMachine, type WorkerMessage } from "./worker.ts";

type WorkerSnapshot = SnapshotFrom<WorkerMachine>;
type Step = { readonly snapshot: WorkerSnapshot; readonly effects: readonly [] };

/** States that take a heartbeat with `alive` and nothing else. */
const takesHeartbeat = (value: WorkerSnapshot["value"]): boolean =>
  value === "draining" ||
  (typeof value === "object" && (value.connected === "idle" || value.connected === "busy"));

const isBusy = (value: WorkerSnapshot["value"]): boolean =>
  typeof value === "object" && value.connected === "busy";

const withContext = (
  snapshot: WorkerSnapshot,
  change: Partial<WorkerSnapshot["context"]>,
): Step => ({
  snapshot: { ...snapshot, context: { ...snapshot.context, ...change } },
  effects: [],
});

export const workerShortcut = (
  snapshot: WorkerSnapshot,
  message: WorkerMessage,
): Step | undefined => {
  if (snapshot.status !== "active") return undefined;
  const { context, value } = snapshot;
  switch (message.type) {
    case "heartbeat":
      if (!takesHeartbeat(value)) return undefined;
      return withContext(snapshot, {
        deadline: message.at + context.heartbeatTimeoutMs,
        lastHeartbeatAt: message.at,
      });
    case "job_assigned":
      return isBusy(value)
        ? withContext(snapshot, { jobs: withJob(context.jobs, message.jobId) })
        : undefined;
    case "job_finished": {
      // Its last job finishing makes it idle: that transition is the machine's.
      if (!isBusy(value) || isLastJob(context.jobs, message.jobId)) return undefined;
      return withContext(snapshot, { jobs: without(context.jobs, message.jobId) });
    }
    default:
      return undefined;
  }
};
