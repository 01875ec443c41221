/**
 * The agent as a process (`hodei worker`): create the worker, drain on the first SIGTERM or
 * SIGINT (finish running jobs, reject new ones, leave), stop at once on the second, and resolve
 * with the process's exit code: 0 after a clean leave (or a stop), 1 if the supervisor refused
 * the agent, 2 for options it cannot use (each bad one reported by name).
 *
 * A drain that has not ended after `drainTimeoutMs` (jobs still running, or no supervisor to
 * acknowledge their results and the Leave) stops the agent: a signal always ends the process
 * within that time, whether or not a supervisor is there. Unacknowledged results are lost with
 * it; the supervisor re-places those attempts once it finds the worker gone (at least once).
 *
 * With `stopWithParent` (the local agents of `hodei serve`) the agent stops when its standard
 * input closes: the supervisor that started it is gone, even if it was killed with SIGKILL.
 *
 * With `drain: true` (`hodei worker --drain`) the agent drains as soon as it is connected: used
 * to hand a worker id's unfinished business back before retiring it.
 */
import { InvalidInput } from "../domain/errors.ts";
import { AgentRefused } from "./agent-refused.ts";
import type { WorkerEvent } from "./events.ts";
import type { WorkerOptions } from "./options.ts";
import { createWorker, type Worker } from "./worker.ts";

export interface RunWorkerOptions extends WorkerOptions {
  readonly drain?: boolean;
  /** How long a drain may take before the agent stops at once. Default 60 s. */
  readonly drainTimeoutMs?: number;
  readonly stopWithParent?: boolean;
  /** Where to say what happened; default stderr. */
  readonly report?: (line: string) => void;
}

/**
 * What an operator watching `hodei worker` wants to read: its link to the supervisor coming
 * and going (each change once, not every failed retry), and how it leaves.
 */
const connectionReport = (report: (line: string) => void) => {
  let link: "up" | "down" | undefined;
  return (e: WorkerEvent): void => {
    if (e.type === "connected" && link !== "up") {
      link = "up";
      report(`hodei worker: connected as ${e.workerId}`);
    } else if (e.type === "disconnected" && link !== "down") {
      link = "down";
      report(`hodei worker: no supervisor session (${e.message || `code ${e.code}`}): retrying`);
    } else if (e.type === "left") report("hodei worker: drained, left the supervisor");
    else if (e.type === "protocol-error") report(`hodei worker: protocol error: ${e.message}`);
  };
};

export const runWorker = async (options: RunWorkerOptions): Promise<number> => {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const reportLink = connectionReport(report);
  const onEvent = (e: WorkerEvent) => {
    reportLink(e);
    options.onEvent?.(e);
  };
  let worker: Worker;
  try {
    worker = createWorker({ ...options, onEvent });
  } catch (e) {
    if (!(e instanceof InvalidInput)) throw e;
    for (const i of e.issues) report(`hodei worker: ${i.path}: ${i.message}`);
    return 2;
  }
  let signals = 0;
  let drainTimer: NodeJS.Timeout | undefined;
  const drainTimeoutMs = options.drainTimeoutMs ?? 60_000;
  const drainOrStop = () => {
    drainTimer ??= setTimeout(() => {
      report(`hodei worker: the drain took over ${drainTimeoutMs} ms: stopping`);
      void worker.stop();
    }, drainTimeoutMs);
    void worker.drain().catch(() => {});
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      report(`hodei worker: ${signal}: draining (again to stop at once)`);
      drainOrStop();
    } else {
      report(`hodei worker: ${signal}: stopping, running jobs are killed`);
      void worker.stop();
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const orphaned = () => {
    report("hodei worker: the supervisor that started this agent is gone: stopping");
    void worker.stop();
  };
  if (options.stopWithParent === true) {
    process.stdin.on("end", orphaned);
    process.stdin.on("error", orphaned);
    process.stdin.resume();
  }
  if (options.drain === true)
    void worker.connected().then(
      () => worker.drain(),
      () => {},
    );
  try {
    await worker.done;
    return 0;
  } catch (e) {
    report(`hodei worker: ${e instanceof AgentRefused ? e.message : String(e)}`);
    return 1;
  } finally {
    clearTimeout(drainTimer);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    if (options.stopWithParent === true) process.stdin.destroy();
  }
};
