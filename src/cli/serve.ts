/**
 * `hodei serve`: the supervisor process. With `--local-workers N` it also starts N agent
 * processes on this machine (`hodei worker`), stopped with it; with `--pipelines <module>` it
 * runs the pipelines that module exports (loaded by main.ts with load-pipelines.ts).
 *
 * Signals:
 * - the first SIGTERM or SIGINT starts the graceful shutdown (supervisor/process.ts): placing
 *   stops, running jobs finish within the grace period, the local agents drain and leave;
 * - the same signal again within a second is the one signal delivered twice (a terminal's
 *   Ctrl-C reaches the whole process group, and `npm start` forwards it once more): ignored;
 * - a later second signal stops at once: the local agents are killed (their watchdog takes
 *   their jobs' process groups with them) and the process exits 130.
 * The local agents run in their own process group, so a terminal's Ctrl-C reaches them only
 * through the supervisor, and with `--stop-with-parent`: if this process dies without
 * stopping them (SIGKILL), they stop too. Nothing is left running either way.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Effect } from "effect";
import { sha256Hex } from "../domain/digest.ts";
import { WorkerId } from "../domain/ids.ts";
import type { HodeiConfig } from "../config.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { makeLogger, type Level } from "../supervisor/logger.ts";
import { runSupervisor, type HttpStarter, type RunningSupervisor } from "../supervisor/process.ts";
import { hodeiBin } from "../package-info.ts";
import { localWorkerArgs, localWorkers } from "./local-workers.ts";

/** A repeat of the first signal sooner than this is the same keypress, delivered twice. */
const repeatWindowMs = 1_000;

/**
 * The supervisor vouches for the agents it starts itself: each gets a fresh secret, bound to its
 * id in the store before it starts (hwp/identity.ts), so it comes back as the same worker after
 * a restart although the agent before it took its secret with it.
 */
const startLocalWorkers = async (
  config: HodeiConfig,
  running: RunningSupervisor,
  n: number,
): Promise<ChildProcess[]> => {
  const secrets = new Map<string, string>();
  for (const w of localWorkers(n)) {
    const secret = randomBytes(32).toString("base64url");
    const record = { workerId: WorkerId.make(w.id), hash: sha256Hex(secret), issuedAt: Date.now() };
    await Effect.runPromise(running.core.store.credentials.putWorkerSecret(record));
    secrets.set(w.id, secret);
  }
  return localWorkers(n).map((w) =>
    spawn(
      process.execPath,
      [hodeiBin, ...localWorkerArgs(w, running.grpcAddress), "--stop-with-parent"],
      {
        // stdin is a pipe that only closes when this process is gone: `--stop-with-parent`.
        stdio: ["pipe", "inherit", "inherit"],
        detached: true,
        env: {
          ...process.env,
          // The agents cut output at the store's per-job cap instead of shipping what it drops.
          HODEI_LOG_MAX_BYTES: String(config.logMaxBytes),
          HODEI_WORKER_SECRET: secrets.get(w.id)!,
          ...(config.workerToken !== undefined ? { HODEI_WORKER_TOKEN: config.workerToken } : {}),
        },
      },
    ),
  );
};

const running = (w: ChildProcess): boolean => w.exitCode === null && w.signalCode === null;

const exited = (w: ChildProcess): Promise<void> =>
  running(w) ? new Promise((resolve) => w.once("exit", () => resolve())) : Promise.resolve();

/** The agent's whole process group (it is its leader): its jobs have groups of their own. */
const killGroup = (w: ChildProcess, signal: NodeJS.Signals): void => {
  if (w.pid === undefined || !running(w)) return;
  try {
    process.kill(-w.pid, signal);
  } catch {
    w.kill(signal);
  }
};

export const serve = async (
  config: HodeiConfig,
  http?: HttpStarter,
  pipelines: ReadonlyArray<Pipeline> = [],
): Promise<void> => {
  const log = makeLogger(config.logLevel as Level);
  let workers: ChildProcess[] = [];
  const stop = new Promise<void>((resolve) => {
    let first: { signal: NodeJS.Signals; at: number } | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (first === undefined) {
        first = { signal, at: now };
        log.info("shutting down: draining (a second signal stops at once)", { signal });
        resolve();
        return;
      }
      if (signal === first.signal && now - first.at < repeatWindowMs) return;
      log.warn("second signal: stopping at once", { signal });
      for (const w of workers) killGroup(w, "SIGKILL");
      process.exit(130);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  const onStarted = async (running: RunningSupervisor) => {
    const grpc = running.grpcAddress;
    workers = await startLocalWorkers(config, running, config.localWorkers);
    const lines = [
      `hodei supervisor ready`,
      ...(running.httpAddress !== null
        ? [`  dashboard  http://${running.httpAddress}/  (\`hodei ui\` signs in)`]
        : []),
      `  API      http://${running.httpAddress ?? "(disabled)"}/api/v1`,
      `  metrics  http://${running.httpAddress ?? "(disabled)"}/api/v1/metrics`,
      `  gRPC     ${grpc}`,
      `  store    ${config.databaseUrl !== undefined ? "postgres" : config.dataDir}`,
      ...(config.localWorkers > 0 ? [`  workers  ${config.localWorkers} local agent(s)`] : []),
      ...(pipelines.length > 0 ? [`  pipelines  ${pipelines.map((p) => p.name).join(", ")}`] : []),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  };
  // The local agents drain while the supervisor still listens: they finish their jobs, their
  // results are acknowledged, they leave.
  const onDrain = async () => {
    for (const w of workers) if (running(w)) w.kill("SIGTERM");
    await Promise.all(workers.map(exited));
  };
  try {
    await runSupervisor(config, log, stop, http, onStarted, pipelines, { onDrain });
  } finally {
    for (const w of workers) killGroup(w, "SIGKILL");
    await Promise.all(workers.map(exited));
  }
};
