/**
 * Port: the worker agents the supervisor knows, as the API and the scheduler see them.
 *
 * The worker actor's own state (heartbeat deadline, its jobs) lives in its snapshot (kind
 * "worker"), which is what recovery re-creates: a worker known before a crash waits for its
 * agent to reconnect until the heartbeat timeout. This record is the descriptive part —
 * capacity, labels, handlers, telemetry — which the agent re-sends when it registers.
 */
import type { Effect } from "effect";
import type { NotFound } from "../domain/errors.ts";
import type { WorkerInfo } from "../domain/worker.ts";
import type { StoreError } from "./errors.ts";

export interface WorkerStore {
  /** Writes the worker record, new or updated. */
  readonly put: (worker: WorkerInfo) => Effect.Effect<void, StoreError>;
  readonly get: (id: string) => Effect.Effect<WorkerInfo, NotFound | StoreError>;
  /** Every known worker, by id. */
  readonly list: () => Effect.Effect<ReadonlyArray<WorkerInfo>, StoreError>;
  readonly remove: (id: string) => Effect.Effect<void, StoreError>;
}
