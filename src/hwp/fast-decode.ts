/**
 * Hot-path decoding for the messages that arrive by the thousand: heartbeats (every agent,
 * every interval), log batches (hundreds of lines each), and every job's JobAccepted and
 * successful JobResult. Effect Schema takes about 15 µs for a heartbeat, 10 µs a log line and
 * 2–5 µs a report; these plain checks take well under a microsecond.
 *
 * They accept a strict subset of what the schemas (agent-messages.ts, log-batch.ts) accept, and give up
 * (`undefined`) on anything else — the schema then decodes the message and, if it is bad,
 * words the refusal. So a refusal reads the same whichever path met it, and the schemas stay
 * the definition of what is valid (a property test checks the two agree).
 */
import { int64, intIn } from "../domain/fast-checks.ts";
import { isJobId } from "../domain/ids.ts";
import type { Telemetry } from "../domain/worker.ts";
import { findJsonProblem } from "../domain/json.ts";
import { maxAttemptNumber } from "../domain/retry.ts";
import type { LogLine, Outcome } from "../supervisor/gateway.ts";

export interface DecodedLogBatch {
  readonly jobId: string;
  readonly attempt: number;
  readonly lines: ReadonlyArray<LogLine>;
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u);

const hasKeys = (r: Record<string, unknown>, n: number): boolean => {
  let count = 0;
  for (const _ in r) count++;
  return count === n;
};

const nonNegative = (u: unknown): u is number =>
  typeof u === "number" && Number.isFinite(u) && u >= 0;

/**
 * The fast path's rule for telemetry, on values already read: from proto-loader's object
 * (`fastHeartbeat`) or from the bytes (heartbeat-bytes.ts), so both paths accept the same.
 */
export const checkedTelemetry = (
  cpuPercent: unknown,
  memoryUsedMb: unknown,
  memoryTotalMb: unknown,
  load1: unknown,
  diskFreeMb: unknown,
  runningJobs: unknown,
  at: number | undefined,
): Telemetry | undefined => {
  if (
    at === undefined ||
    !nonNegative(cpuPercent) ||
    cpuPercent > 100 ||
    !nonNegative(memoryUsedMb) ||
    !nonNegative(memoryTotalMb) ||
    !nonNegative(load1) ||
    !nonNegative(diskFreeMb) ||
    !intIn(runningJobs, 0, 10_000)
  ) {
    return undefined;
  }
  return { cpuPercent, memoryUsedMb, memoryTotalMb, load1, diskFreeMb, runningJobs, at };
};

/** `heartbeat` of an AgentMessage. */
export const fastHeartbeat = (u: unknown): Telemetry | undefined => {
  if (!isRecord(u) || !hasKeys(u, 1)) return undefined;
  const t = u["telemetry"];
  if (!isRecord(t) || !hasKeys(t, 7)) return undefined;
  const { cpuPercent, memoryUsedMb, memoryTotalMb, load1, diskFreeMb, runningJobs } = t;
  const at = int64(t["atMs"], 0);
  return checkedTelemetry(
    cpuPercent,
    memoryUsedMb,
    memoryTotalMb,
    load1,
    diskFreeMb,
    runningJobs,
    at,
  );
};

/** The fast path's rule for a batch's job and attempt. */
export const checkedBatchHead = (jobId: unknown, attempt: unknown): jobId is string =>
  typeof jobId === "string" && isJobId(jobId) && intIn(attempt, 1, maxAttemptNumber);

/** A LogBatch whose entries are numbered without gaps. */
export const fastLogBatch = (u: unknown): DecodedLogBatch | undefined => {
  if (!isRecord(u) || !hasKeys(u, 3)) return undefined;
  const { jobId, attempt, entries } = u;
  if (!checkedBatchHead(jobId, attempt)) return undefined;
  if (!Array.isArray(entries)) return undefined;
  const lines: LogLine[] = new Array(entries.length);
  let prev = 0;
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (!isRecord(e) || !hasKeys(e, 4)) return undefined;
    const seq = int64(e["seq"], 1);
    const at = int64(e["atMs"], 0);
    const { stream, line } = e;
    if (seq === undefined || at === undefined || typeof line !== "string") return undefined;
    if (stream !== "STDOUT" && stream !== "STDERR") return undefined;
    if (i > 0 && seq !== prev + 1) return undefined;
    prev = seq;
    lines[i] = { seq, stream: stream === "STDOUT" ? "stdout" : "stderr", line, at };
  }
  return { jobId, attempt: attempt as number, lines };
};

/** `jobAccepted` of an AgentMessage. */
export const fastJobRef = (u: unknown): { jobId: string; attempt: number } | undefined => {
  if (!isRecord(u) || !hasKeys(u, 2)) return undefined;
  const { jobId, attempt } = u;
  return checkedBatchHead(jobId, attempt) ? { jobId, attempt: attempt as number } : undefined;
};

/** `jobResult` of an AgentMessage, when it says `succeeded` (every other outcome: the schema). */
export const fastJobResult = (
  u: unknown,
): { jobId: string; attempt: number; outcome: Outcome } | undefined => {
  if (!isRecord(u) || !hasKeys(u, 4) || u["outcome"] !== "succeeded") return undefined;
  const { jobId, attempt, succeeded } = u;
  if (!checkedBatchHead(jobId, attempt) || !isRecord(succeeded)) return undefined;
  for (const key in succeeded) {
    if (key !== "exitCode" && key !== "_exitCode" && key !== "outputJson") return undefined;
  }
  const { exitCode, outputJson } = succeeded;
  if (exitCode !== undefined && !intIn(exitCode, 0, 255)) return undefined;
  if (typeof outputJson !== "string") return undefined;
  let output: unknown;
  if (outputJson !== "") {
    try {
      output = JSON.parse(outputJson);
    } catch {
      return undefined;
    }
    if (findJsonProblem(output) !== undefined) return undefined;
  }
  return {
    jobId,
    attempt: attempt as number,
    outcome: {
      kind: "succeeded",
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(output === undefined ? {} : { output: output as never }),
    },
  };
};
