/**
 * Following one job to its end (`hodei submit -f`, `hodei logs -f`): its output as it is
 * written, a mark where each new attempt begins, and why it waits once it has waited 2 s (at
 * once when no registered worker could ever run it). Returns the exit code: 0 only if the job
 * succeeded.
 *
 * Output goes to stdout and stderr as the job wrote it; marks and notices go to stderr, so a
 * pipe of stdout sees the job's output alone. With `--json` everything is one JSON object per
 * line on stdout, told apart by `event`: `log` (a chunk), `attempt`, `waiting`, and last `end`
 * (the final job).
 *
 * The log stream says nothing while a job waits or between attempts, so the job is also read
 * every half second to a second; one request at a time.
 */
import { ApiError, type ApiClient, type JobView } from "./api-client.ts";
import { exitCodes } from "./exit-codes.ts";
import { waitingLine } from "./job-view.ts";
import { jsonLine } from "./options.ts";

const pollMs = { first: 500, most: 1000 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const final = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export const followJob = async (
  client: ApiClient,
  id: string,
  o: { readonly json: boolean },
): Promise<number> => {
  let job: JobView | undefined;
  let marked = 0;
  let said: string | undefined;
  let streaming = true;

  const note = (line: string) => process.stderr.write(`${line}\n`);

  /** Marks `attempt` once: the first shows only as JSON, later ones as a line of their own. */
  const mark = (attempt: number) => {
    if (attempt <= marked) return;
    marked = attempt;
    const workerId = job?.transitions.find(
      (t) => t.state === "scheduled" && t.attempt === attempt,
    )?.workerId;
    if (o.json) jsonLine("attempt", { attempt, workerId: workerId ?? null });
    else if (attempt > 1) note(`--- attempt ${attempt}${workerId ? ` on ${workerId}` : ""} ---`);
  };

  const look = (now: JobView) => {
    job = now;
    if (now.state === "running" || final.has(now.state)) {
      // The latest attempt that started: a bounced assignment is not a new run.
      const started = now.transitions.filter((t) => t.state === "running").at(-1)?.attempt;
      if (started !== undefined) mark(started);
    }
    const waiting = waitingLine(now);
    if (waiting !== undefined && now.waiting?.reason !== said) {
      said = now.waiting?.reason;
      if (o.json) jsonLine("waiting", { ...now.waiting });
      else note(`hodei: ${waiting}`);
    }
  };

  const watch = async () => {
    for (let delay = pollMs.first; streaming; delay = Math.min(pollMs.most, delay * 1.5)) {
      look(await client.job(id));
      await sleep(delay);
    }
  };

  const stream = async () => {
    try {
      for await (const chunk of client.followLogs(id)) {
        if (chunk.attempt > marked) {
          // Which worker it runs on is in the job: read it now, so the mark can say.
          if (job === undefined || job.attempt < chunk.attempt) job = await client.job(id);
          mark(chunk.attempt);
        }
        if (o.json) jsonLine("log", chunk);
        else (chunk.stream === "stderr" ? process.stderr : process.stdout).write(`${chunk.data}\n`);
      }
    } finally {
      streaming = false;
    }
  };

  const watching = watch().catch((e: unknown) => {
    // A poll that fails while the stream goes on is not the end: the stream decides.
    if (!(e instanceof ApiError)) throw e;
  });
  await stream();
  await watching;
  const ended = await client.job(id);
  look(ended);
  if (o.json) jsonLine("end", { job: ended });
  else if (ended.state !== "succeeded") {
    const why = ended.result?.error ? `: ${ended.result.error}` : "";
    note(`hodei: job ${id} ended ${ended.state}${why}`);
  }
  return ended.state === "succeeded" ? exitCodes.ok : exitCodes.failed;
};
