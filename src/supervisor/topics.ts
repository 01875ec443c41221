/**
 * The bus topics the supervisor publishes for whoever follows it live (the API's event and
 * log streams, the CLI). They drop the oldest message for a slow follower rather than slow the
 * supervisor down: every drop is counted, and a follower can always re-read from the store.
 */
import { defineTopic } from "../bus/index.ts";
import type { JobState } from "../domain/job-state.ts";
import type { WorkerState } from "../domain/worker.ts";
import type { LogChunk } from "../persistence/logs.ts";

export interface JobEvent {
  readonly jobId: string;
  readonly state: JobState;
  readonly attempt: number;
  readonly workerId: string | null;
  readonly at: number;
  /** The job's named queue, and its handler's name (null for a command): metrics' labels. */
  readonly queue: string;
  readonly handler: string | null;
}

export interface WorkerEvent {
  readonly workerId: string;
  readonly state: WorkerState;
  readonly at: number;
}

export interface PlacementEvent {
  readonly jobId: string;
  readonly workerId: string;
  readonly at: number;
  readonly waitedMs: number;
  readonly priority: number;
  readonly replaced: boolean;
}

export interface LogEvent {
  readonly jobId: string;
  readonly chunks: ReadonlyArray<LogChunk>;
}

export const jobEvents = defineTopic<JobEvent>("jobs", { capacity: 4096, overflow: "drop-oldest" });
export const workerEvents = defineTopic<WorkerEvent>("workers", {
  capacity: 1024,
  overflow: "drop-oldest",
});
export const placementEvents = defineTopic<PlacementEvent>("placements", {
  capacity: 4096,
  overflow: "drop-oldest",
});
export interface RunEvent {
  readonly runId: string;
  readonly state: "running" | "succeeded" | "failed" | "cancelled";
  readonly at: number;
}

export const runEvents = defineTopic<RunEvent>("runs", { capacity: 4096, overflow: "drop-oldest" });
export const logEvents = defineTopic<LogEvent>("logs", { capacity: 4096, overflow: "drop-oldest" });

/** Firings of cron schedules, by outcome (schedule-firing.ts): what the metrics count. */
export interface ScheduleEvent {
  readonly schedule: string;
  readonly outcome: "fired" | "duplicate" | "skipped_overlap" | "missed" | "failed";
  readonly count: number;
  readonly at: number;
}

export const scheduleEvents = defineTopic<ScheduleEvent>("schedules", {
  capacity: 8192,
  overflow: "drop-oldest",
});
