/**
 * The messages of `proto/hwp.proto` as TypeScript writes them (camelCased, see proto.ts).
 *
 * These are the shapes each side *sends*; what a side receives is `unknown` until decoded by a
 * schema (agent-messages.ts on the supervisor, src/agent/supervisor-messages.ts on the agent).
 * int64 fields are written as numbers and read back as strings (`longs: String`).
 */
import type { Outcome } from "../domain/outcome.ts";

export interface WireCapacity {
  readonly cpuMillis: number;
  readonly memoryMb: number;
  readonly gpus: number;
  readonly maxJobs: number;
}

export interface JobRef {
  readonly jobId: string;
  readonly attempt: number;
}

export interface RegisterWorkerRequest {
  /** Empty on a first registration. */
  readonly workerId: string;
  readonly name: string;
  readonly capacity: WireCapacity;
  readonly labels: Readonly<Record<string, string>>;
  readonly handlers: ReadonlyArray<string>;
  readonly running: ReadonlyArray<JobRef>;
}

export interface RegisterWorkerResponse {
  readonly workerId: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** A new worker's secret; empty when the agent already holds its own. */
  readonly workerSecret: string;
}

export interface WireTelemetry {
  readonly cpuPercent: number;
  readonly memoryUsedMb: number;
  readonly memoryTotalMb: number;
  readonly load1: number;
  readonly diskFreeMb: number;
  readonly runningJobs: number;
  readonly atMs: number;
}

export type WireOutcome =
  | { readonly succeeded: { readonly exitCode?: number; readonly outputJson: string } }
  | { readonly failed: { readonly exitCode?: number; readonly error: string } }
  | { readonly timedOut: Record<string, never> }
  | { readonly cancelled: Record<string, never> }
  | { readonly rejected: { readonly reason: string } };

export type JobResult = JobRef & WireOutcome;

/** What an agent says about one job: a `Report`, batched into `Reports` (frame-batch.ts). */
export type Report = { readonly jobAccepted: JobRef } | { readonly jobResult: JobResult };

export type AgentMessage =
  | { readonly hello: { readonly workerId: string } }
  | { readonly heartbeat: { readonly telemetry: WireTelemetry } }
  | Report
  | { readonly reports: { readonly items: ReadonlyArray<Report> } }
  | { readonly leave: Record<string, never> };

export interface AssignJob extends JobRef {
  readonly specJson: string;
  readonly acceptByMs: number;
}

export interface CancelJob extends JobRef {
  readonly graceMs: number;
}

/** A refusal of one session message; `jobId`/`attempt` are empty/0 unless it is about a job. */
export interface WireError {
  readonly code: number;
  readonly message: string;
  readonly jobId: string;
  readonly attempt: number;
}

/** What the supervisor says about one job: a `WorkItem`, batched into `Work` (frame-batch.ts). */
export type WorkItem =
  | { readonly assignJob: AssignJob }
  | { readonly cancelJob: CancelJob }
  | { readonly resultAck: JobRef };

export type SupervisorMessage =
  | { readonly welcome: { readonly workerId: string } }
  | WorkItem
  | { readonly work: { readonly items: ReadonlyArray<WorkItem> } }
  | { readonly drain: Record<string, never> }
  | { readonly error: WireError };

/** About what an item costs on the wire: its spec, if any, plus ids and framing. */
export const workItemBytes = (item: WorkItem): number =>
  "assignJob" in item ? item.assignJob.specJson.length + 96 : 64;

export const reportBytes = (item: Report): number =>
  "jobResult" in item ? 96 + resultBytes(item.jobResult) : 64;

const resultBytes = (r: JobResult): number =>
  "succeeded" in r
    ? r.succeeded.outputJson.length
    : "failed" in r
      ? r.failed.error.length
      : "rejected" in r
        ? r.rejected.reason.length
        : 0;

export type WireLogStream = "STDOUT" | "STDERR";

export interface LogEntry {
  readonly seq: number;
  readonly stream: WireLogStream;
  readonly line: string;
  readonly atMs: number;
}

export interface LogBatch extends JobRef {
  readonly entries: ReadonlyArray<LogEntry>;
}

export interface LogAck {
  readonly seq: number;
}

/** Metadata naming the worker a call is for (the session names it in Hello too). */
export const workerIdHeader = "hodei-worker-id";
/** Metadata proving it: the secret RegisterWorker issued to the worker (identity.ts). */
export const workerSecretHeader = "hodei-worker-secret";

const exitCodeOf = (exitCode: number | undefined): { exitCode?: number } =>
  exitCode === undefined ? {} : { exitCode };

/** The agent's side of the outcome oneof. A handler's output travels as JSON text. */
export const outcomeToWire = (outcome: Outcome): WireOutcome => {
  switch (outcome.kind) {
    case "succeeded":
      return {
        succeeded: {
          ...exitCodeOf(outcome.exitCode),
          outputJson: outcome.output === undefined ? "" : JSON.stringify(outcome.output),
        },
      };
    case "failed":
      return { failed: { ...exitCodeOf(outcome.exitCode), error: outcome.error } };
    case "timed_out":
      return { timedOut: {} };
    case "cancelled":
      return { cancelled: {} };
    case "rejected":
      return { rejected: { reason: outcome.reason } };
  }
};
