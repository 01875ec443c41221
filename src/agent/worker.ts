/**
 * A worker agent: the connection to the supervisor, the job table and the machine's telemetry,
 * wired together. `createWorker` starts it at once; it runs until it has drained and left, is
 * stopped, or the supervisor refuses it (wrong token, say), which rejects `done`.
 *
 * Draining (an operator's `--drain`, SIGTERM, or the supervisor's Drain): new assignments are
 * rejected, running jobs finish, their results are acknowledged, then the agent sends Leave and
 * the supervisor records that the worker left. `stop()` is the impatient way out: jobs are
 * killed, nothing is reported.
 */
import type { JobRef } from "../protocol/wire.ts";
import { Connection } from "./connection.ts";
import { GroupWatchdog } from "./group-watchdog.ts";
import { JobTable } from "./jobs.ts";
import { baseEnv, normalizeWorkerOptions, type WorkerOptions } from "./options.ts";
import type { SupervisorCommand } from "./supervisor-messages.ts";
import { TelemetrySampler } from "./telemetry.ts";

export interface Worker {
  /** Known once registered. */
  readonly workerId: () => string | undefined;
  /**
   * The secret the worker proves its id with (known once registered): with `workerId`, what a
   * later run of this agent passes as options to come back as the same worker.
   */
  readonly workerSecret: () => string | undefined;
  /** Resolves with the worker id once a session is up (at once if it is). */
  readonly connected: () => Promise<string>;
  /** Attempts running or awaiting acknowledgement. */
  readonly jobs: () => ReadonlyArray<JobRef>;
  /** Finish what runs, take nothing new, leave. Resolves once the supervisor has let it go. */
  readonly drain: () => Promise<void>;
  /** Kill running jobs and disconnect at once. */
  readonly stop: () => Promise<void>;
  /** Resolves when the agent has left or was stopped; rejects if the supervisor refused it. */
  readonly done: Promise<void>;
}

export const createWorker = (options: WorkerOptions): Worker => {
  const o = normalizeWorkerOptions(options);
  const telemetry = new TelemetrySampler(o.workDir);
  const guard = new GroupWatchdog();
  let connection: Connection | undefined;
  const jobs: JobTable = new JobTable({
    handlers: o.handlers,
    maxJobs: o.capacity.maxJobs,
    workDir: o.workDir,
    baseEnv: baseEnv(),
    timeoutGraceMs: o.timeoutGraceMs,
    guard,
    logBatch: o.logBatch,
    report: (r) => connection?.report(r) ?? false,
    openLogs: () => connection!.openLogs(),
    onEvent: o.onEvent,
  });

  let draining: Promise<void> | undefined;
  const drain = (): Promise<void> => {
    draining ??= (async () => {
      jobs.drain();
      o.onEvent({ type: "draining" });
      await jobs.idle();
      await connection!.leave();
    })();
    return draining;
  };

  const onCommand = (c: SupervisorCommand): void => {
    switch (c.kind) {
      case "assign":
        return jobs.assign({ jobId: c.jobId, attempt: c.attempt }, c.specJson);
      case "cancel":
        return jobs.cancel({ jobId: c.jobId, attempt: c.attempt }, c.graceMs);
      case "drain":
        void drain().catch(() => {});
        return;
      case "resultAck":
        return jobs.acknowledged({ jobId: c.jobId, attempt: c.attempt });
      case "error":
        if (c.job !== undefined) return jobs.refused(c.job, c.code, c.message);
        return o.onEvent({ type: "protocol-error", message: c.message });
      case "welcome":
        return;
    }
  };

  connection = new Connection({
    target: {
      address: o.address,
      token: o.token,
      ...(o.tls === undefined ? {} : { tls: o.tls }),
      maxMessageBytes: o.maxMessageBytes,
      keepaliveMs: o.keepaliveMs,
    },
    registration: {
      name: o.name,
      capacity: o.capacity,
      labels: o.labels,
      handlers: [...o.handlers.keys()],
    },
    ...(o.workerId === undefined ? {} : { workerId: o.workerId }),
    ...(o.workerSecret === undefined ? {} : { workerSecret: o.workerSecret }),
    backoff: o.reconnect,
    registerTimeoutMs: o.registerTimeoutMs,
    telemetry,
    running: () => jobs.refs(),
    runningCount: () => jobs.runningCount,
    onCommand,
    onConnected: () => jobs.resendResults(),
    onEvent: o.onEvent,
  });
  const link = connection;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      jobs.drain();
      await jobs.stopAll();
      await link.stop();
    })();
    return stopping;
  };

  const done = link.done.catch(async (e: unknown) => {
    await jobs.stopAll();
    throw e;
  });
  done.catch(() => {});
  // Nothing runs once done: the watchdog goes (with nothing left to kill).
  void done.then(
    () => guard.close(),
    () => guard.close(),
  );

  return {
    workerId: () => link.workerId,
    workerSecret: () => link.workerSecret,
    connected: async () => (await link.whenConnected()).workerId,
    jobs: () => jobs.refs(),
    drain,
    stop,
    done,
  };
};
