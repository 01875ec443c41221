/**
 * The job commands: `submit`, `jobs [list]`, `jobs get|cancel|retry <id>` and `logs <id>`,
 * against a supervisor's HTTP API (`--api` / HODEI_API_URL, default http://127.0.0.1:8080).
 * Readable output by default, `--json` for scripts (JSON lines when following a job). Exit
 * codes as in exit-codes.ts: a followed job that does not succeed exits 1.
 */
import type { Command } from "commander";
import { ApiClient, ApiError } from "./api-client.ts";
import { registerRedrive } from "./redrive-command.ts";
import { followJob } from "./follow-job.ts";
import { refuseSpec, specIssues, specOf, type SubmitFlags } from "./job-spec-input.ts";
import { jobDetail, jobTable } from "./job-view.ts";
import { apiOption, jsonLine, labels, print, usageError, wholeNumber } from "./options.ts";

const api = (o: { api: string }) => new ApiClient(o.api, process.env["HODEI_API_TOKEN"]);

/** A query parameter the API refused, said as the flag that gave it; rethrows anything else. */
const refusedFlag = (e: unknown): never => {
  if (!(e instanceof ApiError) || e.status !== 400) throw e;
  const issues = Array.isArray(e.details)
    ? (e.details as Array<{ path?: unknown; message?: unknown }>)
    : [];
  const [first] = issues;
  const flag = typeof first?.path === "string" ? first.path.split(".")[0] : undefined;
  return usageError(flag ? `--${flag}: ${String(first?.message)}` : e.message);
};

const finish = (code: number): never => process.exit(code);

export const registerJobCommands = (program: Command): void => {
  program
    .command("submit")
    .description("submit a job from flags or a JSON/YAML file")
    .addOption(apiOption())
    .option("--command <shell>", "a shell command to run")
    .option("--handler <name>", "a handler registered by an agent")
    .option("--input <json>", "the handler's JSON input")
    .option("--file <path>", "a job spec as JSON or YAML")
    .option("--name <name>", "the job's name")
    .option("--label <key=value>", "a label the worker must have (repeatable)", labels)
    .option("--cpu <millicores>", "CPU to reserve (1000 = one core)", wholeNumber("millicores"))
    .option("--memory <mb>", "memory to reserve, MB", wholeNumber("megabytes"))
    .option("--timeout <ms>", "per attempt, ms", wholeNumber("milliseconds", 1))
    .option("--retries <n>", "attempts after the first", wholeNumber("retries"))
    .option("--priority <p>", "low, normal, high, critical or 0-1000")
    .option("--queue <name>", "the named queue to wait in (default: default)")
    .option(
      "--delay <ms>",
      "queue it this many ms from now (it waits `delayed`)",
      wholeNumber("milliseconds"),
    )
    .option("--run-at <time>", "queue it at this RFC 3339 time, e.g. 2026-12-05T10:00:00Z")
    .option("-f, --follow", "print the job's output and exit with its outcome")
    .option("--json", "print JSON (JSON lines with -f)")
    .action(async (o: SubmitFlags & { api: string; follow?: boolean; json?: boolean }) => {
      if (o.file === undefined && o.command === undefined && o.handler === undefined)
        return usageError("submit needs --command, --handler or --file");
      if (o.file !== undefined && (o.command !== undefined || o.handler !== undefined))
        return usageError("submit takes --file, or --command/--handler with flags, not both");
      if (o.command !== undefined && o.handler !== undefined)
        return usageError("submit takes --command or --handler, not both");
      const { spec, source } = await specOf(o);
      const issues = await specIssues(spec);
      if (issues.length > 0) return refuseSpec(issues, source);
      const client = api(o);
      const { job, created } = await client.submit(spec).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 400 && Array.isArray(e.details))
          return refuseSpec(e.details as ReadonlyArray<{ path: string; message: string }>, source);
        throw e;
      });
      if (o.follow === true) {
        if (o.json === true) jsonLine("submitted", { job, created });
        else process.stderr.write(`hodei: ${created ? "submitted" : "exists"} job ${job.id}\n`);
        return finish(await followJob(client, job.id, { json: o.json === true }));
      }
      print(o.json === true, job, () => `${created ? "submitted" : "exists"} job ${job.id}`);
    });

  const jobs = program
    .command("jobs")
    .description("list jobs (newest first), show, cancel or retry one, or redrive failed ones");
  registerRedrive(jobs);
  jobs
    .command("list", { isDefault: true })
    .description("list jobs, newest first")
    .addOption(apiOption())
    .option("--state <states>", "only jobs in these states (comma-separated: queued,running)")
    .option("--queue <name>", "only jobs of this named queue")
    .option("--handler <name>", "only handler jobs of this handler")
    .option("--error <text>", "only jobs whose error contains this (any case)")
    .option("--since <when>", "only jobs changed since: 90s, 15m, 1h, 2d or an RFC 3339 time")
    .option("--limit <n>", "how many, 1 to 1000", wholeNumber("jobs", 1), 20)
    .option("--cursor <cursor>", "the next page, as the last page's hint or `next` gave it")
    .option("--json", "print JSON ({ jobs, next })")
    .action(
      async (o: {
        api: string;
        state?: string;
        queue?: string;
        handler?: string;
        error?: string;
        since?: string;
        limit: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const page = await api(o)
          .jobs({
            order: "newest",
            limit: String(o.limit),
            ...(o.state !== undefined ? { state: o.state } : {}),
            ...(o.queue !== undefined ? { queue: o.queue } : {}),
            ...(o.handler !== undefined ? { handler: o.handler } : {}),
            ...(o.error !== undefined ? { error: o.error } : {}),
            ...(o.since !== undefined ? { since: o.since } : {}),
            ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
          })
          .catch(refusedFlag);
        print(o.json === true, page, () =>
          page.jobs.length === 0 ? "no jobs" : jobTable(page.jobs, Date.now()),
        );
        if (page.next !== null && o.json !== true) {
          const state =
            (o.state !== undefined ? ` --state ${o.state}` : "") +
            (o.queue !== undefined ? ` --queue ${o.queue}` : "");
          const limit = o.limit !== 20 ? ` --limit ${o.limit}` : "";
          process.stderr.write(`more: hodei jobs${state}${limit} --cursor ${page.next}\n`);
        }
      },
    );
  jobs
    .command("get <id>")
    .description("show a job in full: what it runs, its attempts, result, and why it waits")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: { api: string; json?: boolean }) => {
      const job = await api(o).job(id);
      print(o.json === true, job, () => jobDetail(job, Date.now()));
    });
  jobs
    .command("cancel <id>")
    .description("cancel a job (a running one ends once its agent stops it)")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: { api: string; json?: boolean }) => {
      const job = await api(o).cancel(id);
      print(o.json === true, job, () => `cancel requested: job ${job.id} is ${job.state}`);
    });
  jobs
    .command("retry <id>")
    .description("run a finished job again, as a new job")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: { api: string; json?: boolean }) => {
      const job = await api(o).retry(id);
      print(o.json === true, job, () => `submitted job ${job.id} (a retry of ${id})`);
    });

  program
    .command("logs <id>")
    .description("print a job's output")
    .addOption(apiOption())
    .option("-f, --follow", "keep printing until the job ends, exit with its outcome")
    .option("--json", "print each chunk as a line of JSON")
    .action(async (id: string, o: { api: string; follow?: boolean; json?: boolean }) => {
      const client = api(o);
      if (o.follow === true) return finish(await followJob(client, id, { json: o.json === true }));
      for (const c of await client.logs(id)) {
        if (o.json === true) jsonLine("log", c);
        else (c.stream === "stderr" ? process.stderr : process.stdout).write(`${c.data}\n`);
      }
    });
};
