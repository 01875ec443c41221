/**
 * The persistence ports, bundled: a `Store` is everything the supervisor keeps durable, from one
 * adapter (memory for tests, LMDB embedded by default, PostgreSQL in production).
 *
 * Every adapter passes the same conformance suite (test/persistence-conformance.test.ts). The
 * composition root picks one and provides it as the `StoreService`; nothing else imports an
 * adapter.
 *
 * What a crash (SIGKILL, power loss with `flush` on) can and cannot do, given that the runtime
 * performs an actor's effects only after the commit that holds the state they came from:
 * - an acknowledged job (`jobs.create` returned) is never lost; one that was not acknowledged
 *   may or may not exist, and resubmitting it with its idempotency key is safe;
 * - a job reaches exactly one terminal state: a terminal state is committed once and never left;
 * - a job can run twice. If the supervisor dies after an agent started an attempt but before the
 *   attempt's result was committed, the restarted supervisor does not know how it ended: when
 *   the agent reconnects it reports the result; when it does not (it died too) the attempt is
 *   lost with its worker and the job is retried if its policy allows. Jobs must therefore be
 *   safe to run more than once (at-least-once execution), like in every queue that survives
 *   crashes without a distributed transaction with the worker.
 * (test/persistence-crash-*.test.ts kill a supervisor repeatedly and check the first two.)
 */
import { Context, type Effect } from "effect";
import type { CredentialStore } from "./credentials.ts";
import type { StoreError } from "./errors.ts";
import type { StoreHealth } from "./health.ts";
import type { JobStore } from "./jobs.ts";
import type { LogStore } from "./logs.ts";
import type { PipelineStore } from "./pipelines.ts";
import type { QueueStore } from "./queues.ts";
import type { Quarantine } from "./quarantine.ts";
import type { ScheduleStore } from "./schedules.ts";
import type { SnapshotStore } from "./snapshots.ts";
import type { WorkerStore } from "./workers.ts";

export * from "./credentials.ts";
export * from "./cursor.ts";
export * from "./errors.ts";
export * from "./health.ts";
export * from "./jobs.ts";
export * from "./log-cap.ts";
export * from "./logs.ts";
export * from "./options.ts";
export * from "./pipelines.ts";
export * from "./quarantine.ts";
export * from "./queues.ts";
export * from "./schedules.ts";
export * from "./snapshots.ts";
export * from "./workers.ts";

export interface PurgeResult {
  /** Finished jobs removed, with their logs and snapshots. */
  readonly jobs: number;
  /** Finished pipeline runs removed. */
  readonly runs: number;
}

export interface StoreStats {
  /** Transactions committed since open: with group commit, far fewer than writes. */
  readonly commits: number;
}

export interface Store {
  readonly jobs: JobStore;
  readonly pipelines: PipelineStore;
  readonly workers: WorkerStore;
  readonly logs: LogStore;
  readonly snapshots: SnapshotStore;
  readonly credentials: CredentialStore;
  /** Named queues' settings (paused, limits): durable across restarts. */
  readonly queues: QueueStore;
  readonly schedules: ScheduleStore;
  /**
   * Retention: removes jobs that finished (terminal state) before `before` (epoch ms), with
   * their logs, idempotency keys and actor snapshots, and finished pipeline runs updated before
   * it. Failed and timed-out jobs (the dead letters) go by `failedBefore` instead (`before`
   * when absent): they are usually kept longer, for a look and a redrive. The supervisor calls
   * it periodically with `now - retention`.
   */
  readonly purgeFinished: (
    before: number,
    failedBefore?: number,
  ) => Effect.Effect<PurgeResult, StoreError>;
  readonly stats: () => StoreStats;
  /** Records found that the schema refuses: skipped by lists and recovery, kept untouched. */
  readonly quarantine: Quarantine;
  /**
   * Whether the store's writes go through now (health.ts): false while a fault (a full disk, a
   * lost connection, a lost lock) fails them. The supervisor is not ready meanwhile.
   */
  readonly health: () => StoreHealth;
  /** Waits for commits in flight, then releases files and connections. */
  readonly close: Effect.Effect<void>;
}

export class StoreService extends Context.Tag("hodei/Store")<StoreService, Store>() {}
