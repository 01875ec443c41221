/** In-memory CredentialStore: two maps. */
import { Effect } from "effect";
import type { ApiTokenRecord, WorkerSecretRecord } from "../../domain/access.ts";
import { byCreation, type CredentialStore } from "../credentials.ts";

export const makeMemoryCredentialStore = (): CredentialStore => {
  const tokens = new Map<string, ApiTokenRecord>();
  const secrets = new Map<string, WorkerSecretRecord>();
  return {
    putToken: (t) => Effect.sync(() => void tokens.set(t.id, t)),
    listTokens: () => Effect.sync(() => [...tokens.values()].sort(byCreation)),
    putWorkerSecret: (s) => Effect.sync(() => void secrets.set(s.workerId, s)),
    getWorkerSecret: (workerId) => Effect.sync(() => secrets.get(workerId)),
    removeWorkerSecret: (workerId) => Effect.sync(() => void secrets.delete(workerId)),
  };
};
