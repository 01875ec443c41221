/**
 * What the worker actor hears (WorkerMessage) and asks the world to do (WorkerEffect).
 * Every message carries `at`, the runtime clock's time in epoch milliseconds.
 */
import type { WorkerState } from "../src/domain/worker.ts";

export type WorkerMessage =
  /** A session is up for this worker id; `jobs` are the jobs the agent says it still runs. */
  | { readonly type: "registered"; readonly at: number; readonly jobs: ReadonlyArray<string> }
  | { readonly type: "heartbeat"; readonly at: number }
  | { readonly type: "job_assigned"; readonly at: number; readonly jobId: string }
  | { readonly type: "job_finished"; readonly at: number; readonly jobId: string }
  /**
   * Jobs assigned to this worker (`true`) and finished on it (`false`), in the order they
   * happened: what one round of job transitions changed, told at once (one list copy for the
   * round, not one per job).
   */
  | {
      readonly type: "jobs_changed";
      readonly at: number;
      readonly changes: ReadonlyArray<readonly [jobId: string, assigned: boolean]>;
    }
  | { readonly type: "drain"; readonly at: number }
  /** The agent said goodbye after draining. */
  | { readonly type: "left"; readonly at: number }
  /** Lost for longer than the retention, or pruned by an operator: the worker is forgotten. */
  | { readonly type: "forget"; readonly at: number }
  /** The runtime's clock passed the heartbeat deadline. */
  | { readonly type: "tick"; readonly at: number }
  /**
   * The supervisor restarted: the agent is given until `graceUntil` to reconnect before it is
   * lost, however long ago its last heartbeat was.
   */
  | { readonly type: "recovered"; readonly at: number; readonly graceUntil: number }
  /**
   * Recovery: the jobs that the job actors' committed snapshots place on this worker. They are
   * the truth; this actor's own list may be older, as `job_assigned` and `job_finished` are
   * not committed on their own (they change nothing else).
   */
  | { readonly type: "jobs_recovered"; readonly at: number; readonly jobs: ReadonlyArray<string> };

export type WorkerEffect =
  | {
      readonly type: "worker.transitioned";
      readonly workerId: string;
      readonly state: WorkerState;
      readonly jobs: ReadonlyArray<string>;
      readonly at: number;
    }
  /** The heartbeat deadline passed: each of `jobs` must be told `worker_lost`. */
  | {
      readonly type: "worker.lost";
      readonly workerId: string;
      readonly jobs: ReadonlyArray<string>;
      readonly at: number;
    }
  /**
   * A session came (back): `released` jobs, which the supervisor placed here and the agent no
   * longer reports, must be placed again. Each of the `reported` ones is offered back to its
   * job (`reattached`), which keeps it or has it stopped on the agent.
   */
  | {
      readonly type: "worker.reconciled";
      readonly workerId: string;
      readonly reported: ReadonlyArray<string>;
      readonly released: ReadonlyArray<string>;
      readonly at: number;
    }
  /** Push a drain request to the agent. */
  | { readonly type: "worker.drain"; readonly workerId: string };
