/**
 * `hodei worker`: an agent that runs command jobs for a supervisor. Capacity defaults to the
 * machine's (see agent/options.ts); `--id` makes a restarted agent come back as the same worker
 * (the supervisor gives a new one otherwise), as `hodei serve --local-workers` does.
 */
import { Option, type Command } from "commander";
import { labels, usageError, wholeNumber } from "./options.ts";

interface WorkerFlags {
  readonly url: string;
  readonly token?: string;
  readonly id?: string;
  readonly secret?: string;
  readonly name?: string;
  readonly label?: Record<string, string>;
  readonly cpu?: number;
  readonly memory?: number;
  readonly gpus?: number;
  readonly maxJobs?: number;
  readonly workDir?: string;
  readonly drain?: boolean;
  readonly drainTimeoutMs?: number;
  readonly stopWithParent?: boolean;
}

export const registerWorker = (program: Command): void => {
  program
    .command("worker")
    .description("run a worker agent that executes command jobs")
    .addOption(
      new Option("--url <host:port>", "supervisor's worker protocol")
        .env("HODEI_URL")
        .default("127.0.0.1:50051"),
    )
    .addOption(new Option("--token <token>", "worker token or JWT").env("HODEI_WORKER_TOKEN"))
    .option("--id <id>", "the worker id to register as (kept across restarts)")
    .addOption(
      new Option("--secret <secret>", "the secret that id was given (proves it)")
        .env("HODEI_WORKER_SECRET")
        .hideHelp(),
    )
    .option("--name <name>", "shown to operators (default: hostname)")
    .option("--label <key=value>", "a label (repeatable)", labels)
    .option("--cpu <millicores>", "CPU offered (1000 = one core)", wholeNumber("millicores"))
    .option("--memory <mb>", "memory offered, MB", wholeNumber("megabytes"))
    .option("--gpus <n>", "GPUs offered", wholeNumber("GPUs"))
    .option("--max-jobs <n>", "jobs at once", wholeNumber("jobs", 1))
    .option("--work-dir <dir>", "where command jobs run")
    .option("--drain", "drain as soon as connected, then leave")
    .option(
      "--drain-timeout-ms <ms>",
      "a drain (first SIGTERM/SIGINT) longer than this stops the agent, default 60000",
      wholeNumber("milliseconds", 1),
    )
    .addOption(new Option("--stop-with-parent", "stop when stdin closes").hideHelp())
    .action(async (o: WorkerFlags) => {
      if (o.token === undefined)
        return usageError("worker: --token or HODEI_WORKER_TOKEN is required");
      const capacity = {
        ...(o.cpu !== undefined ? { cpuMillis: o.cpu } : {}),
        ...(o.memory !== undefined ? { memoryMb: o.memory } : {}),
        ...(o.gpus !== undefined ? { gpus: o.gpus } : {}),
        ...(o.maxJobs !== undefined ? { maxJobs: o.maxJobs } : {}),
      };
      const { runWorker } = await import("../agent/index.ts");
      const code = await runWorker({
        url: o.url,
        token: o.token,
        ...(o.id !== undefined ? { workerId: o.id } : {}),
        ...(o.secret !== undefined ? { workerSecret: o.secret } : {}),
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.label !== undefined ? { labels: o.label } : {}),
        capacity,
        ...(o.workDir !== undefined ? { workDir: o.workDir } : {}),
        ...(o.drain === true ? { drain: true } : {}),
        ...(o.drainTimeoutMs !== undefined ? { drainTimeoutMs: o.drainTimeoutMs } : {}),
        ...(o.stopWithParent === true ? { stopWithParent: true } : {}),
      });
      process.exit(code);
    });
};
