/**
 * The states of a job, as the job actor (actors/job.ts) moves through them and as the API shows
 * them.
 *
 * - `delayed`: accepted and durable, waiting for its time (`runAt` or `delayMs` of its spec);
 *   then `queued`. The scheduler does not see it before.
 * - `queued`: accepted and durable, waiting for the scheduler to find a worker.
 * - `scheduled`: a worker's resources are reserved for it and the assignment is on its way; the
 *   agent has not yet said it started.
 * - `running`: the agent reported the start of the current attempt.
 * - `retry_wait`: an attempt failed (or its worker was lost) and attempts remain; the job waits
 *   for its backoff deadline, then goes back to `queued`.
 * - `cancelling`: cancel was asked while an agent held the job; waiting for the agent to confirm
 *   the process is gone, so its resources are not released while it still uses them.
 * - `succeeded`, `failed`, `cancelled`, `timed_out`: terminal. A terminal job never changes
 *   state again, which is what lets the runtime passivate it and forget it.
 *
 * `failed` means the last attempt failed and no attempts remain; `timed_out` that the last attempt
 * ran past `timeoutMs` (a timed-out attempt with attempts left goes to `retry_wait` instead).
 */
import { literals } from "./primitives.ts";

export const jobStates = [
  "delayed",
  "queued",
  "scheduled",
  "running",
  "retry_wait",
  "cancelling",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
] as const;

export const JobState = literals(...jobStates).annotations({
  identifier: "JobState",
  description: "where a job is in its lifecycle",
});
export type JobState = typeof JobState.Type;

export const terminalJobStates = ["succeeded", "failed", "cancelled", "timed_out"] as const;
export type TerminalJobState = (typeof terminalJobStates)[number];

const terminal: ReadonlySet<JobState> = new Set(terminalJobStates);

/** True for the states a job never leaves. */
export const isTerminalJobState = (state: JobState): state is TerminalJobState =>
  terminal.has(state);

/** States in which the job holds a reservation on a worker (the scheduler must release it). */
export const reservingJobStates = ["scheduled", "running", "cancelling"] as const;

export const holdsReservation = (state: JobState): boolean =>
  (reservingJobStates as ReadonlyArray<JobState>).includes(state);
