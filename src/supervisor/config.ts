/**
 * The supervisor core's timing and placement settings, with the defaults a single machine
 * wants. The process configuration (flags, environment, file) is normalized into this.
 */
import type { QueueSettingsPatch } from "../domain/queue.ts";
import { defaultSchedulerConfig, type SchedulerConfig } from "../scheduler/scheduler.ts";

export interface CoreConfig {
  /** How often agents heartbeat; the supervisor tells them at registration. */
  readonly heartbeatIntervalMs: number;
  /** A worker silent for this long is lost, and its jobs are placed again. */
  readonly heartbeatTimeoutMs: number;
  /** An assignment not started within this is taken back and placed again. */
  readonly acceptTimeoutMs: number;
  /** A cancelled running job may take this long to stop before it is declared cancelled. */
  readonly cancelGraceMs: number;
  /**
   * A job on its last attempt whose worker is lost waits this long for the worker to come back
   * (and report how the job ended) before it fails. Jobs with attempts left are re-placed at once.
   */
  readonly lostWorkerGraceMs: number;
  readonly scheduler: SchedulerConfig;
  /**
   * A job submitted on its own while the scheduler is idle and has room is placed first and
   * created `scheduled`: one commit fewer before it reaches its agent. False queues every job
   * first (what a burst does anyway).
   */
  readonly placeOnSubmit: boolean;
  /**
   * Named queues' settings from the config file, by name: a queue's settings stored by the API
   * or the CLI win over these (see supervisor/queues.ts).
   */
  readonly queues: Readonly<Record<string, QueueSettingsPatch>>;
  /**
   * A schedule's firing made at most this late is on time; a later one was missed, and the
   * schedule's `catchUp` says whether it is made (see schedule-firing.ts).
   */
  readonly scheduleGraceMs: number;
}

export const defaultCoreConfig: CoreConfig = {
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 30_000,
  acceptTimeoutMs: 30_000,
  cancelGraceMs: 10_000,
  lostWorkerGraceMs: 60_000,
  scheduler: defaultSchedulerConfig,
  placeOnSubmit: true,
  queues: {},
  scheduleGraceMs: 1_000,
};
