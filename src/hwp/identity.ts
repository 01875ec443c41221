/**
 * A worker is only itself: its identity is bound to a secret the supervisor issues when the
 * worker first registers, kept (as a SHA-256 digest) in the store beside the worker, so the
 * binding survives a supervisor restart. The handshake (proto/hwp.proto has it too):
 *
 * 1. RegisterWorker without a worker id: the core gives the id, this module a new secret,
 *    stored before the answer (`worker_secret`) leaves.
 * 2. Every later call of that agent carries `hodei-worker-id` and `hodei-worker-secret`
 *    metadata. A RegisterWorker claiming an id (a reconnect, after a restart too) must carry
 *    that id's secret; so must a Session's Hello and a StreamLogs call. A wrong or missing
 *    secret is PERMISSION_DENIED, checked before the core hears of the call: a forged
 *    reconnect cannot reconcile (and so cancel) another worker's jobs, a forged Hello cannot
 *    take its session, forged logs cannot reach its jobs.
 * 3. An id with no stored secret (a store from before secrets, or an id nobody holds) is bound
 *    to whoever claims it first: to the secret it presents, or to a new one sent back.
 *
 * Secrets are compared as digests in constant time. Verified digests are cached: Hello and
 * StreamLogs, which come after this supervisor saw the worker register, are checked without
 * reading the store (one supervisor owns a store at a time).
 */
import { randomBytes } from "node:crypto";
import { status, type Metadata } from "@grpc/grpc-js";
import { Effect } from "effect";
import { sameDigest, sha256Hex } from "../domain/digest.ts";
import type { WorkerSecretRecord } from "../domain/access.ts";
import { WorkerId } from "../domain/ids.ts";
import type { CredentialStore } from "../persistence/credentials.ts";
import type { Refusal } from "./refusal.ts";
import { workerSecretHeader } from "../protocol/wire.ts";

/** What identity needs of the store. */
export type SecretStore = Pick<
  CredentialStore,
  "getWorkerSecret" | "putWorkerSecret" | "removeWorkerSecret"
>;

/** For a server without a store (tests, a bare HWP server): secrets die with the process. */
export const memorySecrets = (): SecretStore => {
  const records = new Map<string, WorkerSecretRecord>();
  return {
    getWorkerSecret: (id) => Effect.sync(() => records.get(id)),
    putWorkerSecret: (r) => Effect.sync(() => void records.set(r.workerId, r)),
    removeWorkerSecret: (id) => Effect.sync(() => void records.delete(id)),
  };
};

export type Claim =
  | { readonly ok: true; readonly issued?: string; readonly bound: boolean }
  | { readonly ok: false; readonly refusal: Refusal };

const denied = (workerId: string): Refusal => ({
  code: status.PERMISSION_DENIED,
  message: `not worker ${workerId}: its secret (${workerSecretHeader}) is missing or wrong`,
});

const storeRefusal = (e: unknown): Refusal => ({
  code: status.UNAVAILABLE,
  message: `the supervisor cannot read or write worker secrets now: ${e instanceof Error ? e.message : String(e)}`,
});

export const presentedSecret = (metadata: Metadata): string | undefined => {
  const [value] = metadata.get(workerSecretHeader);
  return typeof value === "string" && value !== "" ? value : undefined;
};

export class WorkerIdentities {
  private readonly digests = new Map<string, string>();

  constructor(private readonly store: SecretStore) {}

  private async bind(workerId: string, secret: string): Promise<void> {
    const hash = sha256Hex(secret);
    const record = { workerId: WorkerId.make(workerId), hash, issuedAt: Date.now() };
    await Effect.runPromise(this.store.putWorkerSecret(record));
    this.digests.set(workerId, hash);
  }

  /** A new worker's secret, stored before it is returned. */
  async issue(workerId: string): Promise<string> {
    const secret = randomBytes(32).toString("base64url");
    await this.bind(workerId, secret);
    return secret;
  }

  /**
   * RegisterWorker claiming `workerId`. `bound`: the id had no secret and now has one — a new
   * identity, which only binds when `roomForNew` finds room for one more worker.
   */
  async claim(
    workerId: string,
    presented: string | undefined,
    roomForNew: () => Refusal | undefined,
  ): Promise<Claim> {
    try {
      const known =
        this.digests.get(workerId) ??
        (await Effect.runPromise(this.store.getWorkerSecret(workerId)))?.hash;
      if (known === undefined) {
        const full = roomForNew();
        if (full !== undefined) return { ok: false, refusal: full };
        if (presented !== undefined) {
          await this.bind(workerId, presented);
          return { ok: true, bound: true };
        }
        return { ok: true, issued: await this.issue(workerId), bound: true };
      }
      if (presented === undefined || !sameDigest(sha256Hex(presented), known)) {
        return { ok: false, refusal: denied(workerId) };
      }
      this.digests.set(workerId, known);
      return { ok: true, bound: false };
    } catch (e) {
      return { ok: false, refusal: storeRefusal(e) };
    }
  }

  /** Session and StreamLogs: the worker registered here, so its digest is cached. */
  verify(workerId: string, presented: string | undefined): Refusal | undefined {
    const known = this.digests.get(workerId);
    return known !== undefined && presented !== undefined && sameDigest(sha256Hex(presented), known)
      ? undefined
      : denied(workerId);
  }

  /** The worker is forgotten: its id may be registered afresh. */
  async forget(workerId: string): Promise<void> {
    this.digests.delete(workerId);
    await Effect.runPromise(this.store.removeWorkerSecret(workerId)).catch(() => {});
  }
}
