/**
 * A job's status as the job actor's snapshot says it, and a job record as head + status.
 *
 * Adapters call `statusOfSnapshot` inside the commit of a job actor's snapshot (records of kind
 * "job"), so the queryable status and the snapshot become durable together. It reads the
 * snapshot of actors/job.ts: `value` is the JobState (the machine never rests in its transient
 * state) and `context` holds `attempt`, `workerId`, `result` and `history`.
 *
 * It is a hand-written check, not a Schema decode: it runs for every transition of every job in
 * the commit path, and the snapshot comes from our own machine; rows read back from disk are
 * decoded with the domain's `Job` schema instead (`decodeJob`).
 */
import { Either } from "effect";
import { decodeWith } from "../domain/decode.ts";
import { fastJob } from "../domain/job-fast.ts";
import type { WorkerId } from "../domain/ids.ts";
import { Job, type JobResult, type JobTransition } from "../domain/job.ts";
import { jobStates, type JobState } from "../domain/job-state.ts";
import { Limits } from "../domain/primitives.ts";
import { StoreError } from "./errors.ts";
import { corrupt } from "./quarantine.ts";
import type { SnapshotRecord } from "./snapshots.ts";

/** What never changes after create. */
export interface JobHead {
  readonly id: string;
  readonly spec: Job["spec"];
  readonly createdAt: number;
  readonly pipelineRunId?: string;
  readonly pipelineStep?: string;
}

/** Where the job is: written at create, then by every snapshot commit of its actor. */
export interface JobStatus {
  readonly state: JobState;
  readonly attempt: number;
  readonly updatedAt: number;
  readonly transitions: ReadonlyArray<JobTransition>;
  readonly workerId?: string;
  readonly result?: JobResult;
}

const states: ReadonlySet<string> = new Set(jobStates);
const jobPrefix = "job/";

/** The job id of a job actor's address, or undefined for another kind of actor. */
export const jobIdOfRecord = (record: SnapshotRecord): string | undefined =>
  record.kind === "job" && record.address.startsWith(jobPrefix)
    ? record.address.slice(jobPrefix.length)
    : undefined;

const malformed = (record: SnapshotRecord, why: string) =>
  new StoreError({
    operation: "snapshots.saveBatch",
    cause: new Error(`job snapshot ${record.address} is malformed: ${why}`),
  });

const clip = (s: string): string =>
  s.length <= Limits.messageLength ? s : s.slice(0, Limits.messageLength);

/** The actor's result ({ exitCode|null, output, error|null }) as the domain's JobResult. */
const resultOf = (r: unknown): JobResult | undefined => {
  if (typeof r !== "object" || r === null) return undefined;
  const { exitCode, output, error } = r as Record<string, unknown>;
  return {
    ...(typeof exitCode === "number" ? { exitCode } : {}),
    ...(output !== undefined && output !== null ? { output: output as never } : {}),
    ...(typeof error === "string" ? { error: clip(error) } : {}),
  };
};

/**
 * The status a job actor's snapshot describes. `attempt` of each transition is counted from
 * the history: the machine numbers an attempt exactly when it enters `scheduled`.
 */
export const statusOfSnapshot = (record: SnapshotRecord): JobStatus => {
  const { value, context } = record.snapshot;
  if (typeof value !== "string" || !states.has(value)) {
    throw malformed(record, `value ${JSON.stringify(value)} is not a job state`);
  }
  const c = context as Record<string, unknown> | null;
  if (typeof c !== "object" || c === null || !Array.isArray(c.history)) {
    throw malformed(record, "its context has no history");
  }
  let attempt = 0;
  const transitions: JobTransition[] = [];
  for (const entry of c.history as ReadonlyArray<unknown>) {
    const [state, at, detail] = entry as [unknown, unknown, unknown];
    if (typeof state !== "string" || !states.has(state) || typeof at !== "number") {
      throw malformed(record, `history entry ${JSON.stringify(entry)}`);
    }
    if (state === "scheduled") attempt++;
    // The line's detail (actors/job.ts): the worker of a `scheduled` line, else an exit code.
    transitions.push({
      state: state as JobState,
      at,
      attempt,
      // The scheduler's own worker id, checked when the worker registered.
      ...(typeof detail === "string" ? { workerId: detail as WorkerId } : {}),
      ...(typeof detail === "number" ? { exitCode: detail } : {}),
    });
  }
  const result = resultOf(c.result);
  return {
    state: value as JobState,
    attempt: typeof c.attempt === "number" ? c.attempt : attempt,
    updatedAt: transitions.at(-1)?.at ?? 0,
    transitions,
    ...(typeof c.workerId === "string" ? { workerId: c.workerId } : {}),
    ...(result !== undefined ? { result } : {}),
  };
};

export const headOf = (job: Job): JobHead => ({
  id: job.id,
  spec: job.spec,
  createdAt: job.createdAt,
  ...(job.pipelineRunId !== undefined ? { pipelineRunId: job.pipelineRunId } : {}),
  ...(job.pipelineStep !== undefined ? { pipelineStep: job.pipelineStep } : {}),
});

export const statusOf = (job: Job): JobStatus => ({
  state: job.state,
  attempt: job.attempt,
  updatedAt: job.updatedAt,
  transitions: job.transitions,
  ...(job.workerId !== undefined ? { workerId: job.workerId } : {}),
  ...(job.result !== undefined ? { result: job.result } : {}),
});

const decode = decodeWith(Job);

/**
 * A stored head and status, decoded as a Job: a row that does not decode is a StoreError whose
 * cause is a CorruptRecord (quarantine.ts).
 */
export const decodeJob = (
  operation: string,
  head: unknown,
  status: unknown,
  /** Both are parsed data (a row read back from LMDB or PostgreSQL): see `keysOf`. */
  parsed = false,
): Either.Either<Job, StoreError> => {
  const row = { ...(head as object), ...(status as object) };
  const fast = fastJob(row, parsed);
  if (fast !== undefined) return Either.right(fast);
  return decode(row).pipe(
    Either.mapLeft((e) =>
      corrupt(operation, "job", String((head as { id?: unknown }).id), e.message),
    ),
  );
};

/**
 * The state and the time it was entered, from a job snapshot: all a commit needs to keep its
 * indexes, checked as cheaply as the hot path allows. The full status is derived when read.
 */
export const stateOfSnapshot = (record: SnapshotRecord): { state: JobState; at: number } => {
  const { value, context } = record.snapshot;
  if (typeof value !== "string" || !states.has(value)) {
    throw malformed(record, `value ${JSON.stringify(value)} is not a job state`);
  }
  const history = (context as { history?: unknown } | null)?.history;
  const last = Array.isArray(history) ? (history[history.length - 1] as unknown) : undefined;
  const at = Array.isArray(last) ? (last[1] as unknown) : undefined;
  if (typeof at !== "number") throw malformed(record, "its context has no history");
  return { state: value as JobState, at };
};
