/**
 * The worker actor's heartbeat, stepped without running the machine.
 *
 * Ten thousand agents send a heartbeat a second, and in every state that takes one the machine
 * does the same thing: its `alive` action moves the deadline and `lastHeartbeatAt`, nothing is
 * emitted, the state stays (the eventless transitions of `draining` and `connected.choose` look
 * at the job list, which a heartbeat does not touch). Running XState's transition for that was
 * a quarter of the supervisor's heartbeat CPU; this is the same step written out.
 *
 * The machine stays the definition: in any other state, or for any other message, this says
 * `undefined` and the machine runs. `property-tests/worker-heartbeat.test.ts` holds the two to
 * the same result — snapshot and effects — from states reached by random message sequences.
 */
import type { SnapshotFrom } from "xstate";
import type { WorkerMachine, WorkerMessage } from "./worker.ts";

type WorkerSnapshot = SnapshotFrom<WorkerMachine>;

/** States that take a heartbeat with `alive` and nothing else. */
const takesHeartbeat = (value: WorkerSnapshot["value"]): boolean =>
  value === "draining" ||
  (typeof value === "object" && (value.connected === "idle" || value.connected === "busy"));

export const heartbeatShortcut = (
  snapshot: WorkerSnapshot,
  message: WorkerMessage,
): { readonly snapshot: WorkerSnapshot; readonly effects: readonly [] } | undefined => {
  if (message.type !== "heartbeat" || snapshot.status !== "active") return undefined;
  if (!takesHeartbeat(snapshot.value)) return undefined;
  const context = snapshot.context;
  return {
    snapshot: {
      ...snapshot,
      context: {
        ...context,
        deadline: message.at + context.heartbeatTimeoutMs,
        lastHeartbeatAt: message.at,
      },
    },
    effects: [],
  };
};
