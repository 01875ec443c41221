/**
 * Rows of `jobs`, `job_status` and `snapshots` to and from records. Writes go as one JSON
 * document per batch, expanded by `json_to_recordset` on the server: one parameter however many
 * rows, and one multi-row statement, which is what makes a group commit one round trip.
 */
import { Either } from "effect";
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Job } from "../../domain/job.ts";
import type { StoreError } from "../errors.ts";
import { decodeJob, type JobStatus } from "../job-status.ts";
import type { SnapshotRecord } from "../snapshots.ts";
import type { Database } from "./tables.ts";

export const headColumns = sql`id text, spec jsonb, created_at bigint, pipeline_run_id text,
  pipeline_step text, labels jsonb, idempotency_key text`;

export const statusColumns = sql`id text, state text, attempt int, updated_at bigint,
  transitions jsonb, worker_id text, result jsonb`;

export const snapshotColumns = sql`address text, kind text, version text, snapshot json,
  deadline bigint, done boolean`;

/** `select * from json_to_recordset($json) as r(columns)`, for `insert ... select`. */
export const recordset = (rows: ReadonlyArray<object>, columns: RawBuilder<unknown>) =>
  sql`select * from json_to_recordset(${JSON.stringify(rows)}::json) as r(${columns})`;

export const headRow = (job: Job) => ({
  id: job.id,
  spec: job.spec,
  created_at: job.createdAt,
  pipeline_run_id: job.pipelineRunId ?? null,
  pipeline_step: job.pipelineStep ?? null,
  labels: job.spec.labels,
  idempotency_key: job.spec.idempotencyKey ?? null,
});

export const statusRow = (id: string, s: JobStatus) => ({
  id,
  state: s.state,
  attempt: s.attempt,
  updated_at: s.updatedAt,
  transitions: s.transitions,
  worker_id: s.workerId ?? null,
  result: s.result ?? null,
});

/** Jobs with their status, every column a Job needs. */
export const selectJobs = (db: Kysely<Database>) =>
  db
    .selectFrom("jobs as j")
    .innerJoin("job_status as s", "s.id", "j.id")
    .select([
      "j.id",
      "j.spec",
      "j.created_at",
      "j.pipeline_run_id",
      "j.pipeline_step",
      "j.idempotency_key",
      "s.state",
      "s.attempt",
      "s.updated_at",
      "s.transitions",
      "s.worker_id",
      "s.result",
    ]);

export type JobRow = Awaited<ReturnType<ReturnType<typeof selectJobs>["executeTakeFirstOrThrow"]>>;

export const statusOfRow = (row: JobRow): JobStatus => ({
  state: row.state as JobStatus["state"],
  attempt: row.attempt,
  updatedAt: row.updated_at,
  transitions: row.transitions as JobStatus["transitions"],
  ...(row.worker_id !== null ? { workerId: row.worker_id } : {}),
  ...(row.result !== null ? { result: row.result as NonNullable<JobStatus["result"]> } : {}),
});

export const jobOfRow = (operation: string, row: JobRow): Either.Either<Job, StoreError> =>
  decodeJob(
    operation,
    {
      id: row.id,
      spec: row.spec,
      createdAt: row.created_at,
      ...(row.pipeline_run_id !== null ? { pipelineRunId: row.pipeline_run_id } : {}),
      ...(row.pipeline_step !== null ? { pipelineStep: row.pipeline_step } : {}),
    },
    statusOfRow(row),
    true,
  );

export const snapshotRow = (r: SnapshotRecord) => ({
  address: r.address,
  kind: r.kind,
  version: r.version,
  snapshot: r.snapshot,
  deadline: r.deadline,
  done: r.done,
});

export const recordOfRow = (row: {
  address: string;
  kind: string;
  version: string;
  snapshot: unknown;
  deadline: number | null;
  done: boolean;
}): unknown => ({
  address: row.address,
  kind: row.kind,
  version: row.version,
  snapshot: row.snapshot,
  deadline: row.deadline,
  done: row.done,
});
