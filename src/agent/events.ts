/**
 * What a worker agent reports about itself, for logs, the CLI's output and tests. Delivered
 * synchronously to `onEvent`; a listener must not throw or block.
 */
import type { Outcome } from "../domain/outcome.ts";

export type WorkerEvent =
  | {
      readonly type: "registered";
      readonly workerId: string;
      readonly heartbeatIntervalMs: number;
      readonly heartbeatTimeoutMs: number;
    }
  | { readonly type: "connected"; readonly workerId: string }
  | { readonly type: "disconnected"; readonly code: number; readonly message: string }
  | { readonly type: "heartbeat"; readonly at: number }
  | { readonly type: "job-started"; readonly jobId: string; readonly attempt: number }
  | {
      readonly type: "job-finished";
      readonly jobId: string;
      readonly attempt: number;
      readonly outcome: Outcome;
    }
  | { readonly type: "result-acked"; readonly jobId: string; readonly attempt: number }
  /** The job's output is held up (paused or resumed): the supervisor is behind its log. */
  | {
      readonly type: "output-paused";
      readonly jobId: string;
      readonly attempt: number;
      readonly paused: boolean;
    }
  /** The supervisor refused something about this attempt (stale, unknown): it is forgotten. */
  | {
      readonly type: "job-dropped";
      readonly jobId: string;
      readonly attempt: number;
      readonly code: number;
      readonly message: string;
    }
  | { readonly type: "protocol-error"; readonly message: string }
  | { readonly type: "draining" }
  | { readonly type: "left" };

export type WorkerEventListener = (event: WorkerEvent) => void;
