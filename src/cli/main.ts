/**
 * The `hodei` command line (commander). Subcommands:
 * - `serve`: the supervisor (and, with --local-workers, agents on this machine);
 * - `worker`: an agent that runs command jobs;
 * - client commands talking to a supervisor's HTTP API: jobs and workers (client-commands.ts),
 *   `run` (run-command.ts), `pipelines`, `runs` and `signal` (pipeline-commands.ts).
 * A bad flag or configuration prints a precise message and exits with code 2.
 */
import { randomBytes } from "node:crypto";
import { Command, InvalidArgumentError, Option } from "commander";
import { registerClientCommands } from "./client-commands.ts";
import { labels, usageError } from "./options.ts";
import { registerPipelineCommands } from "./pipeline-commands.ts";
import { registerRunCommand } from "./run-command.ts";
import { registerTokenCommands } from "./tokens-command.ts";

const program = new Command("hodei")
  .description("Hodei: jobs and pipelines on remote worker agents")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command("serve")
  .description("run the supervisor (HTTP API, worker protocol, scheduler, store)")
  .option("--config <file>", "a JSON or YAML file of settings (HODEI_CONFIG)")
  .option("--http <host:port>", "HTTP API address (HODEI_HTTP_ADDR), default 127.0.0.1:8080")
  .option(
    "--grpc <host:port>",
    "worker protocol address (HODEI_GRPC_ADDR), default 127.0.0.1:50051",
  )
  .option("--data-dir <dir>", "LMDB data directory (HODEI_DATA_DIR), default ./.hodei")
  .option("--database-url <url>", "PostgreSQL instead of LMDB (HODEI_DATABASE_URL)")
  .option("--database-schema <name>", "PostgreSQL schema (HODEI_DATABASE_SCHEMA), default hodei")
  .option("--local-workers <n>", "also start n agents on this machine")
  .option("--heartbeat-timeout-ms <ms>", "a silent worker is lost after this, default 30000")
  .option("--heartbeat-interval-ms <ms>", "how often agents heartbeat, default 5000")
  .option("--strategy <spread|binpack>", "placement strategy, default spread")
  .option("--log-level <level>", "debug, info, warn or error")
  .option(
    "--pipelines <module>",
    "register the pipelines a .ts/.js module exports (HODEI_PIPELINES)",
  )
  .option("--insecure-no-auth", "serve the API without tokens (loopback addresses only)")
  .action(async (flags: Record<string, string | undefined>) => {
    // Loaded on demand (effect alone takes a second to load): a client command should not pay
    // for the server's modules.
    const [{ Either }, { loadConfig }] = await Promise.all([
      import("effect"),
      import("../config.ts"),
    ]);
    const config = loadConfig(flags);
    if (Either.isLeft(config)) return usageError(`invalid configuration: ${config.left.message}`);
    let c = config.right;
    const [{ serve }, { httpStarter }, { loadPipelines }] = await Promise.all([
      import("./serve.ts"),
      import("../api/starter.ts"),
      import("./load-pipelines.ts"),
    ]);
    const pipelines =
      c.pipelines === undefined
        ? []
        : await loadPipelines(c.pipelines).catch((e: unknown) =>
            usageError(e instanceof Error ? e.message : String(e)),
          );
    // Agents must authenticate. Without a token or JWT secret configured, a random token
    // keeps the worker port private to the local agents this process starts.
    if (c.workerToken === undefined && c.jwtSecret === undefined) {
      c = { ...c, workerToken: randomBytes(24).toString("base64url") };
      process.stderr.write(
        "hodei: no HODEI_WORKER_TOKEN or HODEI_JWT_SECRET set: only local agents can connect\n",
      );
    }
    await serve(c, httpStarter, pipelines).catch(async (e: unknown) => {
      // Another supervisor holds the store: exit 2, naming it (one supervisor per store).
      const held = (await import("../persistence/errors.ts")).storeHeldIn(e);
      if (held !== undefined) usageError(held.message);
      throw e;
    });
  });

const number = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};

program
  .command("worker")
  .description("run a worker agent that executes command jobs")
  .addOption(
    new Option("--url <host:port>", "supervisor's worker protocol")
      .env("HODEI_URL")
      .default("127.0.0.1:50051"),
  )
  .addOption(new Option("--token <token>", "worker token or JWT").env("HODEI_WORKER_TOKEN"))
  .option("--name <name>", "shown to operators (default: hostname)")
  .option("--label <key=value>", "a label (repeatable)", labels)
  .option("--cpu <millicores>", "CPU offered", number("--cpu"))
  .option("--memory <mb>", "memory offered, MB", number("--memory"))
  .option("--gpus <n>", "GPUs offered", number("--gpus"))
  .option("--max-jobs <n>", "jobs at once", number("--max-jobs"))
  .option("--work-dir <dir>", "where command jobs run")
  .option("--drain", "drain as soon as connected, then leave")
  .option(
    "--drain-timeout-ms <ms>",
    "a drain (first SIGTERM/SIGINT) longer than this stops the agent, default 60000",
    number("--drain-timeout-ms"),
  )
  .addOption(new Option("--stop-with-parent", "stop when stdin closes").hideHelp())
  .action(async (o: Record<string, unknown>) => {
    if (typeof o["token"] !== "string")
      return usageError("worker: --token or HODEI_WORKER_TOKEN is required");
    const capacity = {
      ...(o["cpu"] !== undefined ? { cpuMillis: o["cpu"] as number } : {}),
      ...(o["memory"] !== undefined ? { memoryMb: o["memory"] as number } : {}),
      ...(o["gpus"] !== undefined ? { gpus: o["gpus"] as number } : {}),
      ...(o["maxJobs"] !== undefined ? { maxJobs: o["maxJobs"] as number } : {}),
    };
    const { runWorker } = await import("../agent/index.ts");
    const code = await runWorker({
      url: o["url"] as string,
      token: o["token"],
      ...(typeof o["name"] === "string" ? { name: o["name"] } : {}),
      ...(o["label"] !== undefined ? { labels: o["label"] as Record<string, string> } : {}),
      capacity,
      ...(typeof o["workDir"] === "string" ? { workDir: o["workDir"] } : {}),
      ...(o["drain"] === true ? { drain: true } : {}),
      ...(o["drainTimeoutMs"] !== undefined
        ? { drainTimeoutMs: o["drainTimeoutMs"] as number }
        : {}),
      ...(o["stopWithParent"] === true ? { stopWithParent: true } : {}),
    });
    process.exit(code);
  });

registerClientCommands(program);
registerRunCommand(program);
registerPipelineCommands(program);
registerTokenCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // An API error or an unreachable supervisor: one line, not a stack trace.
  process.stderr.write(`hodei: ${e instanceof Error ? e.message : String(e)}\n`);
  // A start refused for its configuration says so with its own code (2, as a bad flag).
  const code = (e as { exitCode?: unknown } | null)?.exitCode;
  process.exit(typeof code === "number" ? code : 1);
}
