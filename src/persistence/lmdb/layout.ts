/**
 * The LMDB key layout: one environment (the data directory), one named database per record
 * kind or index. Keys use lmdb's ordered-binary encoding, so array keys sort element by element
 * and ULID ids sort by creation; values are MessagePack. `structures` in a database means its
 * values share MessagePack record structures (stored under a symbol key of that database),
 * which makes both encoding and the records smaller and faster.
 *
 * | database          | key                         | value                                  |
 * | ----------------- | --------------------------- | -------------------------------------- |
 * | `meta`            | `"format"`                  | `{ app: "hodei", format }` (see below) |
 * | `jobs`            | jobId                       | JobRow: head + status set at create/CAS (structures) |
 * | `jobs_open`       | jobId                       | state, for every unfinished job        |
 * | `jobs_done`       | [state, jobId]              | null, for every finished job           |
 * | `jobs_finished`   | [finishedAt, jobId]         | null: retention order                  |
 * | `jobs_by_run`     | [pipelineRunId, jobId]      | null                                   |
 * | `jobs_by_label`   | [labelKey, labelValue, jobId] | null, one per entry of spec.labels   |
 * | `jobs_by_queue`   | [queue, jobId]              | null, for jobs not in the default queue |
 * | `idempotency`     | idempotencyKey              | jobId                                  |
 * | `snapshots`       | actor address               | SnapshotRecord (structures)            |
 * | `snapshots_active`| [kind, address]             | null, for unfinished actors that are not jobs with a row |
 * | `logs`            | [jobId, seq]                | LogChunk without jobId (structures)    |
 * | `log_heads`       | jobId                       | LogHead: next seq, bytes, lines, truncated |
 * | `pipelines`       | [name, version]             | PipelineDefinition                     |
 * | `pipelines_latest`| name                        | version stored last                    |
 * | `runs`            | runId                       | PipelineRun                            |
 * | `workers`         | workerId                    | WorkerInfo                             |
 * | `api_tokens`      | token id                    | ApiTokenRecord (a digest, never the secret) |
 * | `worker_secrets`  | workerId                    | WorkerSecretRecord (a digest)          |
 * | `queues`          | queue name                  | QueueSettings                          |
 * | `schedules`       | schedule name               | ScheduleRecord, encoded                |
 *
 * A job's status has one owner at a time. Until its actor commits a snapshot, the status is
 * the one in its `jobs` row (written by create). From the first snapshot
 * on, the status is derived from `snapshots[job/<id>]` when read, and every snapshot commit
 * updates `jobs_open`/`jobs_done`/`jobs_finished` in the same transaction. So the snapshot and
 * what the API lists become durable in one commit, and a transition writes one snapshot plus
 * at most three small index keys, not a second copy of the job.
 *
 * Unfinished jobs are indexed by id with their state as the value, not by [state, id]: a
 * transition then rewrites one key instead of deleting one and inserting another. Listing an
 * unfinished state scans the unfinished jobs (what the cluster holds now, not the history);
 * finished states, the set that grows, have their own [state, id] index.
 *
 * `format` changes when this layout changes incompatibly; a directory of another format, or
 * without the marker (another application's LMDB), is refused at open.
 */
import type { RootDatabase } from "lmdb";

export const formatMarker = { app: "hodei", format: 1 } as const;

const structures = { sharedStructuresKey: Symbol.for("hodei.structures") } as const;

/** Every database of the layout, opened on `root`. */
export const openDatabases = (root: RootDatabase) => ({
  meta: root.openDB<unknown, string>("meta", {}),
  jobs: root.openDB<unknown, string>("jobs", structures),
  jobsOpen: root.openDB<string, string>("jobs_open", {}),
  jobsDone: root.openDB<null, [string, string]>("jobs_done", {}),
  jobsFinished: root.openDB<null, [number, string]>("jobs_finished", {}),
  jobsByRun: root.openDB<null, [string, string]>("jobs_by_run", {}),
  jobsByLabel: root.openDB<null, [string, string, string]>("jobs_by_label", {}),
  jobsByQueue: root.openDB<null, [string, string]>("jobs_by_queue", {}),
  idempotency: root.openDB<string, string>("idempotency", {}),
  snapshots: root.openDB<unknown, string>("snapshots", structures),
  snapshotsActive: root.openDB<null, [string, string]>("snapshots_active", {}),
  logs: root.openDB<unknown, [string, number]>("logs", structures),
  logHeads: root.openDB<unknown, string>("log_heads", {}),
  pipelines: root.openDB<unknown, [string, string]>("pipelines", {}),
  pipelinesLatest: root.openDB<string, string>("pipelines_latest", {}),
  runs: root.openDB<unknown, string>("runs", {}),
  workers: root.openDB<unknown, string>("workers", {}),
  apiTokens: root.openDB<unknown, string>("api_tokens", {}),
  workerSecrets: root.openDB<unknown, string>("worker_secrets", {}),
  queues: root.openDB<unknown, string>("queues", {}),
  schedules: root.openDB<unknown, string>("schedules", {}),
});

export type Databases = ReturnType<typeof openDatabases>;

/** The key after every key that starts with `prefix` (ordered-binary sorts arrays elementwise). */
export const endOf = (prefix: ReadonlyArray<string | number>) => [...prefix, "\uffff"];
