/**
 * `hodei schedules list|get|create|delete|pause|resume|trigger`: the supervisor's cron
 * schedules. `create <name> --cron <expr>` makes a schedule from flags (`--command`, or
 * `--job-file` with a job spec, or `--pipeline` with `--input`), or `create --file <f>` from a
 * whole schedule in JSON or YAML. A refused schedule prints each issue and exits 2.
 * `--json` prints what the API answered.
 */
import type { Command } from "commander";
import { ApiError } from "./api-client.ts";
import { exitCodes } from "./exit-codes.ts";
import { apiOption, parseJsonFlag, print, readDataFile, usageError } from "./options.ts";
import { ScheduleClient, type Schedule } from "./schedule-client.ts";

const client = (o: { api: string }) => new ScheduleClient(o.api, process.env["HODEI_API_TOKEN"]);

type Flags = { api: string; json?: boolean };

interface CreateFlags extends Flags {
  readonly file?: string;
  readonly cron?: string;
  readonly timezone?: string;
  readonly command?: string;
  readonly jobFile?: string;
  readonly pipeline?: string;
  readonly input?: string;
  readonly overlap?: string;
  readonly catchUp?: string;
}

const line = (s: Schedule, width = 0) =>
  [
    s.spec.name.padEnd(width),
    (s.paused ? "paused" : "active").padEnd(6),
    `${s.spec.cron} (${s.spec.timezone})`,
    s.spec.job !== undefined ? `job ${s.spec.job.name}` : `pipeline ${s.spec.pipeline}`,
    s.next[0] !== undefined ? `next ${s.next[0]}` : "",
  ]
    .join("  ")
    .trimEnd();

const details = (s: Schedule) =>
  [
    line(s),
    `  overlap ${s.spec.overlap}, catch-up ${s.spec.catchUp}`,
    `  last: ${s.last === null ? "never fired" : `${new Date(s.last.at).toISOString()} ${s.last.kind} ${s.last.id}`}`,
    ...(s.next.length > 0 ? ["  next:", ...s.next.map((t) => `    ${t}`)] : []),
  ].join("\n");

/** A refused schedule: each issue on its own line, exit 2. */
const refused = (e: unknown): never => {
  if (!(e instanceof ApiError) || e.status !== 400) throw e;
  const issues = Array.isArray(e.details)
    ? (e.details as Array<{ path?: unknown; message?: unknown }>)
    : [];
  process.stderr.write(
    `hodei: schedule refused: ${e.message}\n${issues.map((i) => `  ${String(i.path ?? "") || "(schedule)"}: ${String(i.message)}\n`).join("")}`,
  );
  process.exit(exitCodes.usage);
};

const specOf = async (name: string | undefined, o: CreateFlags): Promise<unknown> => {
  if (o.file !== undefined) return readDataFile(o.file, "--file");
  if (name === undefined) return usageError("give a name (or --file with the whole schedule)");
  if (o.cron === undefined) return usageError("--cron is required");
  const work = [o.command, o.jobFile, o.pipeline].filter((x) => x !== undefined).length;
  if (work !== 1) return usageError("give one of --command, --job-file or --pipeline");
  return {
    name,
    cron: o.cron,
    ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    ...(o.command !== undefined ? { job: { name, command: { shell: o.command } } } : {}),
    ...(o.jobFile !== undefined ? { job: await readDataFile(o.jobFile, "--job-file") } : {}),
    ...(o.pipeline !== undefined ? { pipeline: o.pipeline } : {}),
    ...(o.input !== undefined ? { input: parseJsonFlag(o.input, "--input") } : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
    ...(o.catchUp !== undefined ? { catchUp: o.catchUp } : {}),
  };
};

export const registerScheduleCommands = (program: Command): void => {
  const schedules = program.command("schedules").description("cron schedules of jobs and runs");
  schedules
    .command("list", { isDefault: true })
    .description("every schedule, with its next due time")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: Flags) => {
      const list = await client(o).list();
      const width = Math.max(0, ...list.map((s) => s.spec.name.length));
      print(o.json === true, { schedules: list }, () =>
        list.length === 0 ? "no schedules" : list.map((s) => line(s, width)).join("\n"),
      );
    });
  schedules
    .command("get <name>")
    .description("a schedule: its policy, its last firing and its next due times")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (name: string, o: Flags) => {
      const s = await client(o).get(name);
      print(o.json === true, s, () => details(s));
    });
  schedules
    .command("create [name]")
    .description(
      "create a schedule, e.g. create nightly --cron '0 3 * * *' --command 'make report'",
    )
    .addOption(apiOption())
    .option("--file <path>", "the whole schedule as JSON or YAML")
    .option(
      "--cron <expr>",
      "5 fields (minute hour day month weekday), 6 with seconds first, or @daily…",
    )
    .option("--timezone <zone>", "an IANA time zone (default UTC)")
    .option("--command <shell>", "each firing runs this shell command as a job")
    .option("--job-file <path>", "each firing submits this job spec (JSON or YAML)")
    .option("--pipeline <name>", "each firing starts a run of this pipeline")
    .option("--input <json>", "the pipeline run's input")
    .option("--overlap <policy>", "skip (default), allow or cancel_previous")
    .option("--catch-up <policy>", "none, latest (default) or all")
    .option("--json", "print JSON")
    .action(async (name: string | undefined, o: CreateFlags) => {
      const s = await client(o)
        .create(await specOf(name, o))
        .catch(refused);
      print(o.json === true, s, () => `created ${details(s)}`);
    });
  for (const [verb, what] of [
    ["pause", "stop firing (its record is kept)"],
    ["resume", "fire again from now (firings due while paused are not made)"],
  ] as const) {
    schedules
      .command(`${verb} <name>`)
      .description(what)
      .addOption(apiOption())
      .option("--json", "print JSON")
      .action(async (name: string, o: Flags) => {
        const s = await client(o)[verb](name);
        print(o.json === true, s, () => `${verb}d ${line(s)}`);
      });
  }
  schedules
    .command("trigger <name>")
    .description("fire now, whatever the schedule's overlap policy")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (name: string, o: Flags) => {
      const f = await client(o).trigger(name);
      print(o.json === true, f, () =>
        f.last === null
          ? `${f.outcome}: ${f.error ?? ""}`
          : `${f.outcome}: ${f.last.kind} ${f.last.id}`,
      );
      if (f.outcome === "failed") process.exitCode = exitCodes.failed;
    });
  schedules
    .command("delete <name>")
    .description("delete a schedule (the jobs and runs it made stay)")
    .addOption(apiOption())
    .action(async (name: string, o: Flags) => {
      await client(o).remove(name);
      process.stdout.write(`deleted ${name}\n`);
    });
};
