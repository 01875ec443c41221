/**
 * How the CLI shows jobs: pure functions from a job (and the time now) to text, so they are
 * tested without a supervisor.
 *
 * - `jobTable`: `hodei jobs`, one row per job under a header, newest first as listed;
 * - `attemptsOf`: a job's attempts from its transitions — the worker each went to (the
 *   `scheduled` transition names it), when it started and ended, how, and its exit code;
 * - `jobDetail`: `hodei jobs get`, the whole job: what it runs, with what, its timings, its
 *   attempts, its result, and why it waits while it is queued.
 */
import type { JobTransition } from "../domain/job.ts";
import type { JobView } from "./api-client.ts";
import { formatDuration } from "./progress.ts";

/** A queued job says why it waits once it has waited this long (at once if it never can run). */
export const waitingNoticeMs = 2000;

/** "3s ago", "2m05s ago": how long before `now`. */
export const ago = (at: number, now: number): string => `${formatDuration(now - at)} ago`;

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

export const jobTable = (jobs: ReadonlyArray<JobView>, now: number): string =>
  table([
    ["ID", "STATE", "ATTEMPT", "NAME", "QUEUE", "WORKER", "CREATED"],
    ...jobs.map((j) => [
      j.id,
      j.state,
      String(j.attempt),
      j.spec.name,
      j.spec.queue,
      j.workerId ?? "-",
      ago(j.createdAt, now),
    ]),
  ]);

export interface Attempt {
  readonly attempt: number;
  readonly workerId: string | undefined;
  readonly scheduledAt: number;
  readonly startedAt: number | undefined;
  /** When it ended, and the state it left the job in; undefined while it goes on. */
  readonly endedAt: number | undefined;
  readonly outcome: string | undefined;
  readonly exitCode: number | undefined;
}

/** What leaving an attempt for `state` means for it. */
const outcomeOf = (state: JobTransition["state"], started: boolean): string => {
  switch (state) {
    case "retry_wait":
      return "failed, retried";
    case "queued":
      return started ? "worker lost, queued again" : "not started, queued again";
    default:
      return state;
  }
};

/** Each attempt, in order, from the job's transitions. */
export const attemptsOf = (transitions: ReadonlyArray<JobTransition>): ReadonlyArray<Attempt> => {
  const out: Attempt[] = [];
  let current: { -readonly [K in keyof Attempt]: Attempt[K] } | undefined;
  for (const t of transitions) {
    if (t.state === "scheduled") {
      current = {
        attempt: t.attempt,
        workerId: t.workerId,
        scheduledAt: t.at,
        startedAt: undefined,
        endedAt: undefined,
        outcome: undefined,
        exitCode: undefined,
      };
      out.push(current);
      continue;
    }
    if (current === undefined || current.endedAt !== undefined) continue;
    if (t.exitCode !== undefined) current.exitCode = t.exitCode;
    if (t.state === "running") current.startedAt = t.at;
    else if (t.state !== "cancelling") {
      current.endedAt = t.at;
      current.outcome = outcomeOf(t.state, current.startedAt !== undefined);
    }
  }
  return out;
};

const time = (at: number) =>
  new Date(at)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");

const whatItRuns = (spec: JobView["spec"]): string =>
  spec.command !== undefined
    ? spec.command.argv !== undefined
      ? `command  ${spec.command.argv.map((a) => JSON.stringify(a)).join(" ")}`
      : `shell    ${spec.command.shell ?? ""}`
    : `handler  ${spec.handler?.name ?? ""}  input ${JSON.stringify(spec.handler?.input ?? null)}`;

const requirements = (spec: JobView["spec"]): string[] => {
  const r = spec.resources;
  const labels = Object.entries(spec.labels).map(([k, v]) => `${k}=${v}`);
  const retry = spec.retry.maxAttempts > 1 ? `up to ${spec.retry.maxAttempts} attempts` : "none";
  return [
    `needs    ${r.cpuMillis}m CPU, ${r.memoryMb} MB${r.gpus > 0 ? `, ${r.gpus} GPUs` : ""}` +
      (labels.length > 0 ? `, labels ${labels.join(" ")}` : ""),
    `policy   priority ${spec.priority}, timeout ${spec.timeoutMs === undefined ? "none" : formatDuration(spec.timeoutMs)}, retries ${retry}`,
    `queue    ${spec.queue}` +
      (spec.rateLimit === undefined
        ? ""
        : `, rate limit ${spec.rateLimit.key} ${spec.rateLimit.max}/${spec.rateLimit.perMs}ms`),
  ];
};

/** The waiting line, once it is worth saying: waited long enough, or never placeable. */
export const waitingLine = (job: JobView): string | undefined => {
  const w = job.waiting;
  if (w === undefined || (!w.never && w.waitedMs < waitingNoticeMs)) return undefined;
  return w.never
    ? `waiting: ${w.reason}: it cannot run until a worker that can registers`
    : `waiting: ${w.reason} (for ${formatDuration(w.waitedMs)})`;
};

/** `hodei jobs get`: everything about one job. */
export const jobDetail = (job: JobView, now: number): string => {
  const lines = [
    `job ${job.id}  ${job.spec.name}  ${job.state}`,
    `  ${whatItRuns(job.spec)}`,
    ...requirements(job.spec).map((l) => `  ${l}`),
    `  created  ${time(job.createdAt)} (${ago(job.createdAt, now)})`,
    `  updated  ${time(job.updatedAt)} (${ago(job.updatedAt, now)})`,
  ];
  if (job.pipelineRunId !== undefined)
    lines.push(`  run      ${job.pipelineRunId}, step ${job.pipelineStep ?? "?"}`);
  const waiting = waitingLine(job);
  if (waiting !== undefined) lines.push(`  ${waiting}`);
  const result = job.result;
  if (result !== undefined) {
    const parts = [
      ...(result.exitCode !== undefined ? [`exit ${result.exitCode}`] : []),
      ...(result.output !== undefined ? [`output ${JSON.stringify(result.output)}`] : []),
      ...(result.error !== undefined ? [`error: ${result.error}`] : []),
    ];
    if (parts.length > 0) lines.push(`  result   ${parts.join(", ")}`);
  }
  const attempts = attemptsOf(job.transitions);
  lines.push(attempts.length === 0 ? "  attempts none yet" : "  attempts");
  for (const a of attempts) {
    const ran =
      a.startedAt === undefined
        ? "not started"
        : `ran ${formatDuration((a.endedAt ?? now) - a.startedAt)}`;
    const how =
      a.outcome === undefined
        ? a.startedAt === undefined
          ? "assigned"
          : "running"
        : `${a.outcome}${a.exitCode !== undefined ? ` (exit ${a.exitCode})` : ""}`;
    lines.push(
      `    #${a.attempt}  ${(a.workerId ?? "?").padEnd(10)}  ${time(a.scheduledAt)}  ${ran}  ${how}`,
    );
  }
  return lines.join("\n");
};
