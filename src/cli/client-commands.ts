/**
 * The client side of `hodei`: commands that talk to a supervisor's HTTP API
 * (`--api` / HODEI_API_URL, default http://127.0.0.1:8080; `HODEI_API_TOKEN` when it asks for
 * one). Readable output by default, `--json` for scripts; a followed job that does not succeed
 * makes the command exit non-zero.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { ApiClient, type JobView } from "./api-client.ts";
import { apiOption, labels, print } from "./options.ts";

const api = (o: { api: string }) => new ApiClient(o.api, process.env["HODEI_API_TOKEN"]);

const jobLine = (j: JobView) =>
  `${j.id}  ${j.state.padEnd(10)}  attempt ${j.attempt}  ${j.spec.name}${j.workerId ? `  on ${j.workerId}` : ""}`;

/** Prints the job's output as it comes, then exits with 0 only if it succeeded. */
const follow = async (client: ApiClient, id: string): Promise<never> => {
  for await (const chunk of client.followLogs(id)) {
    (chunk.stream === "stderr" ? process.stderr : process.stdout).write(`${chunk.data}\n`);
  }
  const job = await client.job(id);
  if (job.state !== "succeeded") {
    process.stderr.write(
      `hodei: job ${id} ended ${job.state}${job.result?.error ? `: ${job.result.error}` : ""}\n`,
    );
  }
  process.exit(job.state === "succeeded" ? 0 : 1);
};

const specFromFlags = (o: Record<string, unknown>): Record<string, unknown> => {
  if (typeof o["file"] === "string") {
    const text = readFileSync(o["file"], "utf8");
    return (o["file"].endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Record<
      string,
      unknown
    >;
  }
  const what =
    typeof o["handler"] === "string"
      ? {
          handler: {
            name: o["handler"],
            input: o["input"] === undefined ? null : JSON.parse(String(o["input"])),
          },
        }
      : { command: { shell: String(o["command"] ?? "") } };
  return {
    name: o["name"] ?? (typeof o["handler"] === "string" ? o["handler"] : "job"),
    ...what,
    ...(o["label"] ? { labels: o["label"] } : {}),
    ...(o["cpu"] !== undefined || o["memory"] !== undefined
      ? {
          resources: {
            ...(o["cpu"] ? { cpuMillis: Number(o["cpu"]) } : {}),
            ...(o["memory"] ? { memoryMb: Number(o["memory"]) } : {}),
          },
        }
      : {}),
    ...(o["timeout"] !== undefined ? { timeoutMs: Number(o["timeout"]) } : {}),
    ...(o["retries"] !== undefined ? { retry: { maxAttempts: Number(o["retries"]) + 1 } } : {}),
    ...(o["priority"] !== undefined
      ? { priority: /^\d+$/.test(String(o["priority"])) ? Number(o["priority"]) : o["priority"] }
      : {}),
  };
};

export const registerClientCommands = (program: Command): void => {
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
    .option("--cpu <millicores>", "CPU to reserve")
    .option("--memory <mb>", "memory to reserve")
    .option("--timeout <ms>", "per attempt")
    .option("--retries <n>", "attempts after the first")
    .option("--priority <p>", "low, normal, high, critical or 0-1000")
    .option("-f, --follow", "print the job's output and exit with its outcome")
    .option("--json", "print JSON")
    .action(async (o: Record<string, unknown> & { api: string }) => {
      if (o["file"] === undefined && o["command"] === undefined && o["handler"] === undefined) {
        process.stderr.write("hodei: submit needs --command, --handler or --file\n");
        process.exit(2);
      }
      const client = api(o);
      const { job, created } = await client.submit(specFromFlags(o));
      if (o["follow"] === true) return follow(client, job.id);
      print(o["json"] === true, job, () => `${created ? "submitted" : "exists"} ${jobLine(job)}`);
    });

  const jobs = program.command("jobs").description("list, show, cancel or retry jobs");
  jobs
    .command("list", { isDefault: true })
    .addOption(apiOption())
    .option("--state <state>", "only jobs in this state")
    .option("--limit <n>", "page size", "50")
    .option("--json", "print JSON")
    .action(async (o: { api: string; state?: string; limit: string; json?: boolean }) => {
      const page = await api(o).jobs({ ...(o.state ? { state: o.state } : {}), limit: o.limit });
      print(o.json === true, page, () => page.jobs.map(jobLine).join("\n") || "no jobs");
    });
  for (const [name, verb] of [
    ["get", "show"],
    ["cancel", "cancel"],
    ["retry", "retry (as a new job)"],
  ] as const) {
    jobs
      .command(`${name} <id>`)
      .description(`${verb} a job`)
      .addOption(apiOption())
      .option("--json", "print JSON")
      .action(async (id: string, o: { api: string; json?: boolean }) => {
        const client = api(o);
        const job =
          name === "get"
            ? await client.job(id)
            : name === "cancel"
              ? await client.cancel(id)
              : await client.retry(id);
        print(o.json === true, job, () => jobLine(job));
      });
  }

  program
    .command("logs <id>")
    .description("print a job's output")
    .addOption(apiOption())
    .option("-f, --follow", "keep printing until the job ends, exit with its outcome")
    .action(async (id: string, o: { api: string; follow?: boolean }) => {
      const client = api(o);
      if (o.follow === true) return follow(client, id);
      for (const c of await client.logs(id))
        (c.stream === "stderr" ? process.stderr : process.stdout).write(`${c.data}\n`);
    });

  program
    .command("workers")
    .description("list workers with capacity, usage and health")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: { api: string; json?: boolean }) => {
      const workers = await api(o).workers();
      print(
        o.json === true,
        workers,
        () =>
          workers
            .map(
              (w) =>
                `${w.id}  ${w.healthy ? "healthy" : "lost   "}${w.draining ? " draining" : ""}  jobs ${w.reserved.jobs}/${w.capacity.maxJobs}  cpu ${w.reserved.cpuMillis}/${w.capacity.cpuMillis}m  mem ${w.reserved.memoryMb}/${w.capacity.memoryMb} MB`,
            )
            .join("\n") || "no workers",
      );
    });
};
