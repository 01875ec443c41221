/** PostgreSQL CredentialStore: one row per token and per worker secret, decoded when read back. */
import { Effect, Schema } from "effect";
import type { Kysely } from "kysely";
import { ApiTokenRecord, WorkerSecretRecord } from "../../domain/access.ts";
import { type CredentialStore } from "../credentials.ts";
import { storeError } from "../errors.ts";
import type { Database } from "./tables.ts";

const query = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: storeError(operation) });

const decodeToken = Schema.decodeUnknown(ApiTokenRecord);
const decodeSecret = Schema.decodeUnknown(WorkerSecretRecord);

export const makePostgresCredentialStore = (
  db: Kysely<Database>,
  committed: () => void,
): CredentialStore => ({
  putToken: (t) =>
    query("credentials.putToken", () => {
      committed();
      return db
        .insertInto("api_tokens")
        .values({ id: t.id, record: JSON.stringify(t), created_at: t.createdAt })
        .onConflict((oc) => oc.column("id").doUpdateSet({ record: JSON.stringify(t) }))
        .execute();
    }).pipe(Effect.asVoid),
  listTokens: () =>
    query("credentials.listTokens", () =>
      db.selectFrom("api_tokens").select("record").orderBy("created_at").orderBy("id").execute(),
    ).pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (r) =>
          Effect.mapError(decodeToken(r.record), storeError("credentials.listTokens")),
        ),
      ),
    ),
  putWorkerSecret: (s) =>
    query("credentials.putWorkerSecret", () => {
      committed();
      return db
        .insertInto("worker_secrets")
        .values({ worker_id: s.workerId, record: JSON.stringify(s) })
        .onConflict((oc) => oc.column("worker_id").doUpdateSet({ record: JSON.stringify(s) }))
        .execute();
    }).pipe(Effect.asVoid),
  getWorkerSecret: (workerId) =>
    query("credentials.getWorkerSecret", () =>
      db
        .selectFrom("worker_secrets")
        .select("record")
        .where("worker_id", "=", workerId)
        .executeTakeFirst(),
    ).pipe(
      Effect.flatMap((row) =>
        row === undefined
          ? Effect.succeed(undefined)
          : Effect.mapError(decodeSecret(row.record), storeError("credentials.getWorkerSecret")),
      ),
    ),
  removeWorkerSecret: (workerId) =>
    query("credentials.removeWorkerSecret", () => {
      committed();
      return db.deleteFrom("worker_secrets").where("worker_id", "=", workerId).execute();
    }).pipe(Effect.asVoid),
});
