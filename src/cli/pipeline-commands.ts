/**
 * The pipeline client commands (besides `run`, in run-command.ts):
 * - `hodei pipelines [list]`, `hodei pipelines apply <file.json|yaml>`: the pipelines the
 *   supervisor runs; apply registers a declarative definition (YAML is parsed here and sent as
 *   JSON); a refused definition prints the API's message and each issue, and exits 2;
 * - `hodei runs [list]`, `runs get <id>` (with the signals a waiting run takes now),
 *   `runs cancel <id>`: pipeline runs;
 * - `hodei signal <runId> <type> [--data <json>]`: an event for a run's machine (an approval).
 * `--json` prints what the API answered.
 */
import type { Command } from "commander";
import { ApiError } from "./api-client.ts";
import { exitCodes } from "./exit-codes.ts";
import { apiOption, parseJsonFlag, print, readDataFile, usageError } from "./options.ts";
import { PipelineClient, type PipelineRun, type PipelineSummary } from "./pipeline-client.ts";
import { formatDuration, renderRun, runDuration } from "./progress.ts";

const client = (o: { api: string }) => new PipelineClient(o.api, process.env["HODEI_API_TOKEN"]);

const runLine = (r: PipelineRun, width = 0, now = Date.now()) => {
  const steps = r.steps ?? [];
  const done = steps.filter((s) => s.state === "succeeded").length;
  return [
    r.id,
    r.state.padEnd(9),
    r.pipeline.padEnd(width),
    new Date(r.createdAt).toISOString(),
    formatDuration(runDuration(r, now)).padEnd(6),
    ...(steps.length > 0 ? [`steps ${done}/${steps.length}`] : []),
  ]
    .join("  ")
    .trimEnd();
};

const runLines = (runs: ReadonlyArray<PipelineRun>) => {
  const width = Math.max(0, ...runs.map((r) => r.pipeline.length));
  return runs.map((r) => runLine(r, width)).join("\n") || "no runs";
};

const pipelineLines = (p: PipelineSummary, width = 0) => [
  [p.name.padEnd(width), p.source.padEnd(11), `version ${p.version}`].join("  "),
  ...(p.steps ?? []).map(
    (s) => `  ${s.name}${s.needs.length > 0 ? `  needs ${s.needs.join(", ")}` : ""}`,
  ),
];

/** A refused definition: the API's message, or each of its issues on its own line; exit 2. */
const refused = (e: unknown): never => {
  if (!(e instanceof ApiError) || e.status !== 400) throw e;
  const issues = Array.isArray(e.details)
    ? (e.details as Array<{ path?: unknown; message?: unknown }>)
    : [];
  const lines =
    issues.length === 0
      ? [`hodei: pipeline refused: ${e.message}`]
      : [
          `hodei: pipeline refused, ${issues.length} issue(s):`,
          ...issues.map((i) => `  ${String(i.path ?? "") || "(root)"}: ${String(i.message)}`),
        ];
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exit(exitCodes.usage);
};

type Flags = { api: string; json?: boolean };

export const registerPipelineCommands = (program: Command): void => {
  const pipelines = program
    .command("pipelines")
    .description("list pipelines or apply a definition");
  pipelines
    .command("list", { isDefault: true })
    .description("the pipelines the supervisor runs, from code or applied")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: Flags) => {
      const list = await client(o).pipelines();
      const width = Math.max(0, ...list.map((p) => p.name.length));
      print(
        o.json === true,
        { pipelines: list },
        () => list.flatMap((p) => pipelineLines(p, width)).join("\n") || "no pipelines",
      );
    });
  pipelines
    .command("apply <file>")
    .description("register (or replace) a declarative pipeline from a JSON or YAML file")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (file: string, o: Flags) => {
      const definition = await readDataFile(file, "apply");
      const applied = await client(o).applyPipeline(definition).catch(refused);
      print(o.json === true, applied, () => `applied ${pipelineLines(applied).join("\n")}`);
    });

  const runs = program.command("runs").description("list, show or cancel pipeline runs");
  runs
    .command("list", { isDefault: true })
    .description("list runs, with their state, start, duration and steps done")
    .addOption(apiOption())
    .option("--pipeline <name>", "only runs of this pipeline")
    .option("--state <state>", "only runs in this state: running, succeeded, failed, cancelled")
    .option("--limit <n>", "page size", "50")
    .option("--json", "print JSON")
    .action(async (o: Flags & { pipeline?: string; state?: string; limit: string }) => {
      const page = await client(o).runs({
        ...(o.pipeline !== undefined ? { pipeline: o.pipeline } : {}),
        ...(o.state !== undefined ? { state: o.state } : {}),
        limit: o.limit,
      });
      print(o.json === true, page, () => runLines(page.runs));
    });
  runs
    .command("get <id>")
    .description("show a run and its steps")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: Flags) => {
      const run = await client(o).run(id);
      print(o.json === true, run, () => {
        const lines = renderRun(run, Date.now());
        if (run.output !== undefined) lines.push(`  output: ${JSON.stringify(run.output)}`);
        if (run.signals !== undefined && run.signals.length > 0)
          lines.push(`  signals: ${run.signals.join(", ")} (hodei signal ${run.id} <signal>)`);
        return lines.join("\n");
      });
    });
  runs
    .command("cancel <id>")
    .description("cancel a running run: its running steps' jobs are cancelled")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: Flags) => {
      const run = await client(o).cancelRun(id);
      print(o.json === true, run, () => `cancel requested: ${runLine(run)}`);
    });

  program
    .command("signal <runId> <type>")
    .description("send an event to a run's machine, e.g. `hodei signal <run> approve`")
    .addOption(apiOption())
    .option("--data <json>", "the event's other fields, a JSON object")
    .option("--json", "print JSON")
    .action(async (runId: string, type: string, o: Flags & { data?: string }) => {
      const data = o.data === undefined ? {} : parseJsonFlag(o.data, "--data");
      if (typeof data !== "object" || data === null || Array.isArray(data))
        return usageError("--data must be a JSON object");
      const run = await client(o).signalRun(runId, { ...data, type });
      print(o.json === true, run, () => `signalled ${type}: ${runLine(run)}`);
    });
};
