/**
 * Port: the credentials a supervisor issued, hashed — API tokens (`hodei tokens`) and the
 * per-worker secrets HWP binds a worker's identity to. Kept in the store rather than in files
 * so that they live and die with the data they protect: a PostgreSQL-backed supervisor moved
 * to another host (or a standby taking over the schema) keeps its tokens and its workers.
 *
 * A revoked token stays listed (with `revokedAt`): who had access, and until when. A worker's
 * secret goes when the worker is forgotten (it registered and never opened a session).
 */
import type { Effect } from "effect";
import type { ApiTokenRecord, WorkerSecretRecord } from "../domain/access.ts";
import type { StoreError } from "./errors.ts";

export interface CredentialStore {
  /** Writes a token record, new or updated (revocation rewrites it with `revokedAt`). */
  readonly putToken: (token: ApiTokenRecord) => Effect.Effect<void, StoreError>;
  /** Every token record, revoked and expired ones included, oldest first. */
  readonly listTokens: () => Effect.Effect<ReadonlyArray<ApiTokenRecord>, StoreError>;
  readonly putWorkerSecret: (secret: WorkerSecretRecord) => Effect.Effect<void, StoreError>;
  readonly getWorkerSecret: (
    workerId: string,
  ) => Effect.Effect<WorkerSecretRecord | undefined, StoreError>;
  readonly removeWorkerSecret: (workerId: string) => Effect.Effect<void, StoreError>;
}

/** Oldest first, then by id: the order every adapter lists tokens in. */
export const byCreation = (a: ApiTokenRecord, b: ApiTokenRecord): number =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
