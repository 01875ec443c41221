/**
 * LMDB CredentialStore: token records under their id (`api_tokens`), worker secrets under the
 * worker id (`worker_secrets`), decoded with their schemas when read back (layout.ts).
 */
import { Effect, Schema } from "effect";
import { ApiTokenRecord, WorkerSecretRecord } from "../../domain/access.ts";
import { byCreation, type CredentialStore } from "../credentials.ts";
import { storeError } from "../errors.ts";
import type { Durable } from "./durable.ts";
import type { Databases } from "./layout.ts";

const decodeToken = Schema.decodeUnknown(ApiTokenRecord);
const decodeSecret = Schema.decodeUnknown(WorkerSecretRecord);

export const makeLmdbCredentialStore = (dbs: Databases, durable: Durable): CredentialStore => ({
  putToken: (t) =>
    durable("credentials.putToken", () => dbs.apiTokens.put(t.id, t)).pipe(Effect.asVoid),
  listTokens: () =>
    Effect.suspend(() =>
      Effect.forEach([...dbs.apiTokens.getRange({})], ({ value }) =>
        Effect.mapError(decodeToken(value), storeError("credentials.listTokens")),
      ),
    ).pipe(Effect.map((all) => [...all].sort(byCreation))),
  putWorkerSecret: (s) =>
    durable("credentials.putWorkerSecret", () => dbs.workerSecrets.put(s.workerId, s)).pipe(
      Effect.asVoid,
    ),
  getWorkerSecret: (workerId) =>
    Effect.suspend(() => {
      const u = dbs.workerSecrets.get(workerId);
      return u === undefined
        ? Effect.succeed(undefined)
        : Effect.mapError(decodeSecret(u), storeError("credentials.getWorkerSecret"));
    }),
  removeWorkerSecret: (workerId) =>
    durable("credentials.removeWorkerSecret", () => dbs.workerSecrets.remove(workerId)).pipe(
      Effect.asVoid,
    ),
});
