/**
 * What the job actor hears (JobMessage) and what it asks the world to do (JobEffect).
 * Every message carries `at`, the runtime clock's time in epoch milliseconds; every message
 * from an agent carries the `attempt` it belongs to.
 */
import type { JobState } from "../src/domain/job-state.ts";

export interface JobResult {
  readonly exitCode: number | null;
  /** The handler's JSON result, or the outputs a command published. */
  readonly output: unknown;
  /** Why the attempt failed: the error message, or the event that ended it. */
  readonly error: string | null;
}

export type JobMessage =
  /** The scheduler reserved capacity on `workerId`; the agent must start by `acceptBy`. */
  | {
      readonly type: "schedule";
      readonly at: number;
      readonly workerId: string;
      readonly acceptBy: number;
    }
  | { readonly type: "started"; readonly at: number; readonly attempt: number }
  | {
      readonly type: "succeeded";
      readonly at: number;
      readonly attempt: number;
      readonly exitCode?: number;
      readonly output?: unknown;
    }
  | {
      readonly type: "failed";
      readonly at: number;
      readonly attempt: number;
      readonly exitCode?: number;
      readonly error: string;
    }
  /** The agent stopped the process because it ran past the job's timeout. */
  | { readonly type: "timed_out"; readonly at: number; readonly attempt: number }
  /** The agent declined the assignment (draining, no room): place it again elsewhere. */
  | {
      readonly type: "rejected";
      readonly at: number;
      readonly attempt: number;
      readonly reason: string;
    }
  /** The agent confirms that a cancelled attempt has stopped. */
  | { readonly type: "cancelled"; readonly at: number; readonly attempt: number }
  | { readonly type: "cancel"; readonly at: number; readonly reason?: string }
  | {
      readonly type: "worker_lost";
      readonly at: number;
      readonly workerId: string;
      /**
       * The worker came back (a new session) and does not report this attempt: it is not
       * running there, so there is no return to wait for (`lostGraceMs`).
       */
      readonly returned?: boolean;
    }
  /**
   * The worker came back (a new session) and reports this attempt as running, or finished
   * with its result not yet acknowledged. Refused (so the agent is told to stop it) unless it
   * is the job's current attempt on that worker.
   */
  | {
      readonly type: "reattached";
      readonly at: number;
      readonly workerId: string;
      readonly attempt: number;
    }
  /**
   * The supervisor restarted: an agent may hold this job's attempt and is given until
   * `graceUntil` to reconnect and report, so a deadline that passed while no supervisor was
   * there to hear the agent does not end the attempt before then.
   */
  | { readonly type: "recovered"; readonly at: number; readonly graceUntil: number }
  /** The runtime's clock passed the context's deadline. */
  | { readonly type: "tick"; readonly at: number };

export type JobEffect =
  /** Entered `state`: persist-worthy, and what the scheduler, pipelines and metrics follow. */
  | {
      readonly type: "job.transitioned";
      readonly jobId: string;
      readonly state: JobState;
      readonly attempt: number;
      readonly workerId: string | null;
      readonly result: JobResult | null;
      readonly at: number;
    }
  /** Push the assignment to the agent over its session. */
  | {
      readonly type: "job.assign";
      readonly jobId: string;
      readonly workerId: string;
      readonly attempt: number;
      readonly acceptBy: number;
    }
  /** Ask the agent to stop the attempt: SIGTERM, then SIGKILL after `graceMs`. */
  | {
      readonly type: "job.cancel_on_agent";
      readonly jobId: string;
      readonly workerId: string;
      readonly attempt: number;
      readonly graceMs: number;
    }
  /** A message was not taken: the sender is told why (a stale attempt's result, say). */
  | {
      readonly type: "job.refused";
      readonly jobId: string;
      readonly eventType: JobMessage["type"];
      readonly attempt: number | null;
      readonly current: number;
      readonly reason: "stale_attempt" | "not_applicable";
    };
