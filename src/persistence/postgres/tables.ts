/**
 * The PostgreSQL tables, all in one schema (`hodei` unless configured), created and changed only
 * by the migrations in migrations.ts. Times are epoch milliseconds (`bigint`); records the
 * store never queries inside (snapshots) are `json`, cheaper to write than `jsonb`.
 *
 * | table                  | key                  | what                                                |
 * | ---------------------- | -------------------- | --------------------------------------------------- |
 * | `hodei_meta`           | key                  | `format` = "hodei:<n>": marks the schema as ours     |
 * | `jobs`                 | id                   | head, never updated: spec, created_at, pipeline run and step; `labels` copies spec.labels for its GIN index; `idempotency_key` unique |
 * | `job_status`           | id                   | state, attempt, worker_id, result, updated_at, transitions; `held` (written, no longer read) = an actor's snapshot owns the status |
 * | `snapshots`            | address              | SnapshotRecord: kind, version, snapshot, deadline, done |
 * | `log_chunks`           | (job_id, seq)        | LogChunk                                            |
 * | `log_heads`            | job_id               | next_seq, bytes, lines, truncated                   |
 * | `pipeline_definitions` | (name, version)      | definition; `stored_seq` orders "stored last"       |
 * | `pipeline_runs`        | id                   | PipelineRun columns, the rest as `details`          |
 * | `workers`              | id                   | WorkerInfo as `info`                                |
 * | `api_tokens`           | id                   | ApiTokenRecord as `record` (a digest, never the secret) |
 * | `worker_secrets`       | worker_id            | WorkerSecretRecord as `record` (a digest)           |
 * | `schedules`            | name                 | ScheduleRecord as `record` (migration 0005)         |
 * | `kysely_migration`, `kysely_migration_lock` | | Kysely's Migrator bookkeeping                 |
 *
 * Indexes: jobs (pipeline_run_id, id), GIN on labels; job_status (state, id) for lists by state
 * and recovery, (updated_at) of finished jobs for retention; snapshots (kind, address) where
 * not done, for recovery.
 *
 * Why two job tables: a transition updates the status, and an updated row gets new entries in
 * every index of its table. Kept apart, a transition touches the status table's two small
 * indexes, not the head's GIN and unique indexes; `job_status` and `snapshots` leave free space
 * in their pages (fillfactor 70) so an update that changes no indexed column stays on its page
 * (a HOT update, no index write at all).
 *
 * A job actor's snapshot commit writes its `snapshots` row and the job's status in one
 * statement, so both are durable in the same commit.
 */
import type { ColumnType } from "kysely";

type Json<T = unknown> = ColumnType<T, string, string>;

export interface JobsTable {
  id: string;
  spec: Json;
  created_at: number;
  pipeline_run_id: string | null;
  pipeline_step: string | null;
  labels: Json;
  idempotency_key: string | null;
}

export interface JobStatusTable {
  id: string;
  state: string;
  attempt: number;
  updated_at: number;
  transitions: Json;
  worker_id: string | null;
  result: Json | null;
  held: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface SnapshotsTable {
  address: string;
  kind: string;
  version: string;
  snapshot: Json;
  deadline: number | null;
  done: boolean;
}

export interface LogChunksTable {
  job_id: string;
  seq: number;
  at: number;
  stream: string;
  attempt: number;
  data: string;
}

export interface LogHeadsTable {
  job_id: string;
  next_seq: number;
  bytes: number;
  lines: number;
  truncated: boolean;
}

export interface PipelineDefinitionsTable {
  name: string;
  version: string;
  definition: Json;
  stored_seq: ColumnType<number, never, number>;
}

export interface PipelineRunsTable {
  id: string;
  pipeline: string;
  version: string;
  state: string;
  created_at: number;
  updated_at: number;
  jobs: Json;
  /** Null for a run written before migration 0002. */
  details: ColumnType<unknown, string | null, string | null>;
}

export interface WorkersTable {
  id: string;
  info: Json;
  updated_at: number;
}

export interface ApiTokensTable {
  id: string;
  record: Json;
  created_at: number;
}

export interface WorkerSecretsTable {
  worker_id: string;
  record: Json;
}

/** Named queues' settings (migration 0004_queues). */
export interface QueuesTable {
  name: string;
  settings: Json;
}

export interface SchedulesTable {
  name: string;
  record: Json;
  updated_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  hodei_meta: MetaTable;
  jobs: JobsTable;
  job_status: JobStatusTable;
  snapshots: SnapshotsTable;
  log_chunks: LogChunksTable;
  log_heads: LogHeadsTable;
  pipeline_definitions: PipelineDefinitionsTable;
  pipeline_runs: PipelineRunsTable;
  workers: WorkersTable;
  api_tokens: ApiTokensTable;
  worker_secrets: WorkerSecretsTable;
  queues: QueuesTable;
  schedules: SchedulesTable;
}

export const formatValue = "hodei:1";
