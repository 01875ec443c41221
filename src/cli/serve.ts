/**
 * `hodei serve`: the supervisor process. With `--local-workers N` it also starts N agent
 * processes on this machine (`hodei worker`), stopped with it; with `--pipelines <module>` it
 * runs the pipelines that module exports (loaded by main.ts with load-pipelines.ts).
 *
 * Signals: the first SIGTERM/SIGINT starts the graceful shutdown (see supervisor/process.ts);
 * a second one exits at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { HodeiConfig } from "../config.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { makeLogger, type Level } from "../supervisor/logger.ts";
import { runSupervisor, type HttpStarter, type RunningSupervisor } from "../supervisor/process.ts";
import { hodeiBin } from "../package-info.ts";
import { localWorkerArgs, localWorkers } from "./local-workers.ts";

const startLocalWorkers = (config: HodeiConfig, grpc: string, n: number): ChildProcess[] =>
  localWorkers(n).map((w) =>
    spawn(process.execPath, [hodeiBin, ...localWorkerArgs(w, grpc)], {
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        ...(config.workerToken !== undefined ? { HODEI_WORKER_TOKEN: config.workerToken } : {}),
      },
    }),
  );

const exited = (w: ChildProcess): Promise<void> =>
  w.exitCode !== null || w.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => w.once("exit", () => resolve()));

export const serve = async (
  config: HodeiConfig,
  http?: HttpStarter,
  pipelines: ReadonlyArray<Pipeline> = [],
): Promise<void> => {
  const log = makeLogger(config.logLevel as Level);
  let workers: ChildProcess[] = [];
  const stop = new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn("second signal: exiting now", { signal });
        for (const w of workers) w.kill("SIGKILL");
        process.exit(130);
      }
      signalled = true;
      log.info("shutting down", { signal });
      // Local agents drain first (finish their jobs, leave) while the supervisor still
      // listens; whatever still runs after the grace period is left to recovery.
      for (const w of workers) w.kill("SIGTERM");
      const grace = new Promise<void>((r) => setTimeout(r, config.shutdownGraceMs).unref());
      void Promise.race([Promise.all(workers.map(exited)), grace]).then(() => resolve());
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  const onStarted = (running: RunningSupervisor) => {
    const grpc = running.grpcAddress;
    workers = startLocalWorkers(config, grpc, config.localWorkers);
    const lines = [
      `hodei supervisor ready`,
      `  API      http://${running.httpAddress ?? "(disabled)"}/api/v1`,
      `  metrics  http://${running.httpAddress ?? "(disabled)"}/api/v1/metrics`,
      `  gRPC     ${grpc}`,
      `  store    ${config.databaseUrl !== undefined ? "postgres" : config.dataDir}`,
      ...(config.localWorkers > 0 ? [`  workers  ${config.localWorkers} local agent(s)`] : []),
      ...(pipelines.length > 0 ? [`  pipelines  ${pipelines.map((p) => p.name).join(", ")}`] : []),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  };
  await runSupervisor(config, log, stop, http, onStarted, pipelines);
  for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
  await Promise.all(workers.map(exited));
};
