/**
 * `hodei run <pipeline>`: starts a run and follows it to its end.
 *
 * There is no event stream for runs, so it polls `GET /runs/:id`: every 200 ms while something
 * changes, slowing to one poll a second while nothing does, one request at a time. On a TTY the
 * steps are redrawn in place; otherwise each change is one line; with `--json`, one JSON object
 * per line (`event`: `run` for each new version of the run, `waiting`, and last `end`). A step
 * whose job has waited 2 s for a worker says why (at once when no worker could ever run it),
 * and a run that waits for a signal says which ones it takes. When the run ends and did not
 * succeed, each failed step's error and the last lines of its job's log go to stderr. Exit 0 if
 * it succeeded, 1 if it failed or was cancelled. `--detach` prints the run and returns at once.
 * Ctrl-C stops watching (the run goes on) and says how to cancel it. A supervisor that stops
 * answering is retried for 30 s.
 */
import type { Command } from "commander";
import { ApiError } from "./api-client.ts";
import { exitCodes } from "./exit-codes.ts";
import { waitingNoticeMs } from "./job-view.ts";
import { apiOption, jsonLine, parseJsonFlag, print, readDataFile, usageError } from "./options.ts";
import { PipelineClient, type PipelineRun } from "./pipeline-client.ts";
import { asJson, asLines, onTerminal, type Display } from "./run-display.ts";

const tailLines = 20;
const fastPollMs = 200;
const slowPollMs = 1000;
const unreachableForMs = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The run, read again; a supervisor that does not answer (or is restarting) is retried. */
const poll = async (client: PipelineClient, id: string): Promise<PipelineRun> => {
  for (let since = Date.now(); ;) {
    try {
      return await client.run(id);
    } catch (e) {
      const transient = e instanceof ApiError && (e.status === 0 || e.status >= 502);
      if (!transient || Date.now() - since > unreachableForMs) throw e;
      await sleep(slowPollMs);
    }
  }
};

/**
 * The jobs of running steps that may be waiting for a worker: started (by the run) long enough
 * ago for a wait to be worth saying, each looked at no more than every 2 s.
 */
const checkWaiting = async (
  client: PipelineClient,
  run: PipelineRun,
  looked: Map<string, number>,
  display: Display,
) => {
  const now = Date.now();
  for (const step of run.steps ?? []) {
    if (step.state !== "running" || step.jobId === undefined) continue;
    if (now - (looked.get(step.jobId) ?? 0) < waitingNoticeMs) continue;
    looked.set(step.jobId, now);
    const job = await client.job(step.jobId).catch(() => undefined);
    if (job !== undefined) display.waiting(step.name, job);
  }
};

/** Polls until the run is final, showing each version of it; returns the final one. */
export const watchRun = async (
  client: PipelineClient,
  started: PipelineRun,
  display: Display,
): Promise<PipelineRun> => {
  let run = started;
  let seen = JSON.stringify(run);
  let delay = fastPollMs;
  const looked = new Map<string, number>();
  display.update(run, Date.now());
  while (run.state === "running") {
    await sleep(delay);
    run = await poll(client, run.id);
    const now = JSON.stringify(run);
    delay = now === seen ? Math.min(slowPollMs, Math.round(delay * 1.5)) : fastPollMs;
    seen = now;
    display.update(run, Date.now());
    if (run.state === "running") await checkWaiting(client, run, looked, display);
  }
  return run;
};

/** Why the run did not succeed: each failed step's error and the tail of its job's log. */
const reportFailure = async (client: PipelineClient, run: PipelineRun): Promise<void> => {
  const out = (line: string) => process.stderr.write(`${line}\n`);
  const failed = (run.steps ?? []).filter((s) => s.state === "failed");
  if (failed.length === 0)
    out(`hodei: run ${run.id} ${run.state}: ${run.reason ?? "no reason given"}`);
  for (const step of failed) {
    out(`hodei: step ${step.name} failed: ${step.error ?? "no error given"}`);
    if (step.jobId === undefined) continue;
    const tail = await client.logTail(step.jobId, tailLines).catch((e: unknown) => {
      out(`  (cannot read the log of job ${step.jobId}: ${e instanceof Error ? e.message : e})`);
      return [];
    });
    if (tail.length === 0) continue;
    out(`--- last ${tail.length} line(s) of job ${step.jobId} (hodei logs ${step.jobId}) ---`);
    for (const chunk of tail) out(chunk.data);
  }
};

const inputOf = async (o: { input?: string; inputFile?: string }): Promise<unknown> => {
  if (o.input !== undefined && o.inputFile !== undefined)
    return usageError("run: give --input or --input-file, not both");
  if (o.input !== undefined) return parseJsonFlag(o.input, "--input");
  if (o.inputFile !== undefined) return readDataFile(o.inputFile, "--input-file");
  return undefined;
};

interface RunFlags {
  readonly api: string;
  readonly input?: string;
  readonly inputFile?: string;
  readonly detach?: boolean;
  readonly json?: boolean;
}

export const registerRunCommand = (program: Command): void => {
  program
    .command("run <pipeline>")
    .description("start a pipeline run and follow it; exit 0 only if it succeeds")
    .addOption(apiOption())
    .option("--input <json>", "the run's input, as JSON")
    .option("--input-file <file>", "the run's input, a JSON or YAML file")
    .option("-d, --detach", "print the run and return without following it")
    .option("--json", "print JSON lines as the run goes (the run itself with --detach)")
    .action(async (name: string, o: RunFlags) => {
      const input = await inputOf(o);
      const client = new PipelineClient(o.api, process.env["HODEI_API_TOKEN"]);
      const started = await client.startRun(name, input);
      if (o.detach === true) {
        print(o.json === true, started, () => `started run ${started.id} of ${started.pipeline}`);
        return;
      }
      process.once("SIGINT", () => {
        process.stderr.write(
          `\nhodei: stopped watching; run ${started.id} goes on (hodei runs cancel ${started.id})\n`,
        );
        process.exit(exitCodes.interrupted);
      });
      const display =
        o.json === true
          ? asJson()
          : process.stdout.isTTY
            ? onTerminal(process.stdout)
            : asLines(process.stdout);
      const run = await watchRun(client, started, display);
      if (o.json === true) jsonLine("end", { run });
      else if (run.state === "succeeded" && run.output !== undefined)
        process.stdout.write(`output: ${JSON.stringify(run.output)}\n`);
      if (run.state !== "succeeded") await reportFailure(client, run);
      process.exit(run.state === "succeeded" ? exitCodes.ok : exitCodes.failed);
    });
};
