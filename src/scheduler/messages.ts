/**
 * What the scheduler actor hears (SchedulerMessage), decides (Placement) and reports
 * (SchedulerEvent, published on the bus for metrics and the API).
 */
import type { SchedulerControl } from "../../actors/scheduler.ts";
import type { Labels } from "../domain/primitives.ts";
import type { QueueSettings } from "../domain/queue.ts";
import type { Telemetry, WorkerCapacity } from "../domain/worker.ts";
import type { QueuedJob } from "./job-queue.ts";

export type SchedulerMessage =
  /** A job entered `queued`: place it when it fits. */
  | { readonly type: "enqueue"; readonly job: QueuedJob }
  /** A queued job was cancelled. */
  | { readonly type: "dequeue"; readonly jobId: string }
  /** A job left its worker (finished, cancelled, back to the queue): free its reservation. */
  | { readonly type: "release"; readonly jobId: string }
  | {
      readonly type: "register";
      readonly workerId: string;
      readonly capacity: WorkerCapacity;
      readonly labels: Labels;
      readonly handlers: ReadonlyArray<string>;
      readonly at: number;
    }
  | {
      readonly type: "heartbeat";
      readonly workerId: string;
      readonly telemetry: Telemetry | null;
      readonly at: number;
    }
  /**
   * After a supervisor restart: a job that was already placed on `workerId` before the crash
   * takes its reservation back there, without a placement.
   */
  | { readonly type: "adopt"; readonly job: QueuedJob; readonly workerId: string }
  /** The worker actor declared the worker lost. */
  | { readonly type: "lost"; readonly workerId: string; readonly at: number }
  | { readonly type: "drain_worker"; readonly workerId: string }
  | { readonly type: "remove_worker"; readonly workerId: string }
  /** A named queue's settings changed (paused, resumed, limits): they apply from the next pass. */
  | { readonly type: "queue_settings"; readonly settings: QueueSettings }
  /** A timer the actor set for `wakeAt`: nothing to do but the pass that follows. */
  | { readonly type: "wake" }
  | SchedulerControl;

/** A decision: `jobId` goes to `workerId`, its resources are already reserved there. */
export interface Placement {
  readonly jobId: string;
  readonly workerId: string;
  readonly at: number;
  /** Time in the queue, for the queue-wait histogram. */
  readonly waitedMs: number;
  readonly priority: number;
  /** The job had been placed before (lost worker, acceptance deadline, retry). */
  readonly replaced: boolean;
}

export type SchedulerEvent = {
  readonly type: "worker_lost";
  readonly workerId: string;
  readonly jobs: ReadonlyArray<string>;
  readonly at: number;
};
