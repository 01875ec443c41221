/**
 * The `hodei` command line (commander), following the habits of `gh`, `kubectl` and Nomad's
 * CLI: `--version`, `--json` on every read, lists newest first with a hint when there is more,
 * one exit code per kind of outcome (exit-codes.ts, printed by `--help`). Subcommands:
 * - `serve` (serve-command.ts) and `config` (config-command.ts): the supervisor and its settings;
 * - `worker` (worker-command.ts): an agent that runs command jobs;
 * - against a supervisor's HTTP API: `submit`, `jobs`, `logs` (job-commands.ts), `workers`
 *   (worker-commands.ts), `queues` (queue-commands.ts), `run` (run-command.ts), `pipelines`,
 *   `runs`, `signal` (pipeline-commands.ts).
 *
 * A client command must start fast (`hodei jobs` is meant to take ~0.1 s), so `serve` and
 * `config`, whose flags come from the config schema (Effect), are defined only when asked for;
 * otherwise they are listed by name.
 */
import { Command } from "commander";
import { version } from "../package-info.ts";
import { ApiError } from "./api-client.ts";
import { exitCodeHelp, exitCodeOf, exitCodes } from "./exit-codes.ts";
import { registerJobCommands } from "./job-commands.ts";
import { registerPipelineCommands } from "./pipeline-commands.ts";
import { registerQueueCommands } from "./queue-commands.ts";
import { registerRunCommand } from "./run-command.ts";
import { registerScheduleCommands } from "./schedule-commands.ts";
import { registerTokenCommands } from "./tokens-command.ts";
import { registerUiCommand } from "./ui-command.ts";
import { registerWorkerCommands } from "./worker-commands.ts";
import { registerWorker } from "./worker-command.ts";

const program = new Command("hodei")
  .description("Hodei: jobs and pipelines on remote worker agents")
  .version(version, "-v, --version", "print the version")
  .showHelpAfterError("(add --help for usage)")
  .addHelpText("after", `\n${exitCodeHelp()}`)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? exitCodes.ok : exitCodes.usage));

const [first, second] = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const asked = first === "help" ? second : first;

if (asked === "serve") (await import("./serve-command.ts")).registerServe(program);
else program.command("serve").description("run the supervisor (HTTP API, worker protocol, store)");
registerWorker(program);
registerJobCommands(program);
registerWorkerCommands(program);
registerQueueCommands(program);
registerRunCommand(program);
registerPipelineCommands(program);
registerScheduleCommands(program);
registerTokenCommands(program);
registerUiCommand(program);
if (asked === "config") (await import("./config-command.ts")).registerConfig(program);
else program.command("config").description("print every supervisor setting with its default");

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // An API error or an unreachable supervisor: one line, not a stack trace.
  if (e instanceof ApiError) {
    process.stderr.write(`hodei: ${e.message}\n`);
    process.exit(exitCodeOf(e));
  }
  // A command that says how it should exit (a start refused for its configuration: 2).
  const code = (e as { exitCode?: unknown } | null)?.exitCode;
  if (typeof code === "number") {
    process.stderr.write(`hodei: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(code);
  }
  process.stderr.write(
    `hodei: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(exitCodes.failed);
}
