/**
 * The agent as a process (`hodei worker`): create the worker, drain on the first SIGTERM or
 * SIGINT (finish running jobs, reject new ones, leave), stop at once on the second, and resolve
 * with the process's exit code: 0 after a clean leave (or a stop), 1 if the supervisor refused
 * the agent, 2 for options it cannot use (each bad one reported by name).
 *
 * With `drain: true` (`hodei worker --drain`) the agent drains as soon as it is connected: used
 * to hand a worker id's unfinished business back before retiring it.
 */
import { InvalidInput } from "../domain/errors.ts";
import { AgentRefused } from "./agent-refused.ts";
import type { WorkerOptions } from "./options.ts";
import { createWorker, type Worker } from "./worker.ts";

export interface RunWorkerOptions extends WorkerOptions {
  readonly drain?: boolean;
  /** Where to say what happened; default stderr. */
  readonly report?: (line: string) => void;
}

export const runWorker = async (options: RunWorkerOptions): Promise<number> => {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  let worker: Worker;
  try {
    worker = createWorker(options);
  } catch (e) {
    if (!(e instanceof InvalidInput)) throw e;
    for (const i of e.issues) report(`hodei worker: ${i.path}: ${i.message}`);
    return 2;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      report(`hodei worker: ${signal}: draining (again to stop at once)`);
      void worker.drain().catch(() => {});
    } else {
      report(`hodei worker: ${signal}: stopping, running jobs are killed`);
      void worker.stop();
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
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
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
};
