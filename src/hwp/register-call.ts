/**
 * RegisterWorker: authenticate, decode, prove or give the worker's identity, let the core
 * register (or re-register) the worker, and answer with its id, the heartbeat interval and
 * timeout it must keep to, and — for a new identity — its secret.
 *
 * In this order, and nothing reaches the core before every check passes: the token first (a
 * bad one is UNAUTHENTICATED whatever the body holds, even bytes that are not a message at
 * all), then the body (INVALID_ARGUMENT), then the identity (identity.ts: PERMISSION_DENIED for
 * a claimed id without its secret) and the limit on registered workers (admission.ts:
 * RESOURCE_EXHAUSTED). The worker id is remembered by the session registry, so that the
 * agent's Session (and StreamLogs) calls that follow are accepted.
 */
import { status, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { Either } from "effect";
import type { AgentInbound } from "../supervisor/gateway.ts";
import type { Admission } from "./admission.ts";
import type { Authenticator } from "./auth.ts";
import { presentedSecret, type WorkerIdentities } from "./identity.ts";
import { decodeRegistration } from "./registration.ts";
import { invalidArgument, runReport, serviceError } from "./refusal.ts";
import { Undecodable } from "./server-codec.ts";
import type { SessionRegistry } from "./sessions.ts";
import type { RegisterWorkerResponse } from "../protocol/wire.ts";

export interface RegisterDeps {
  readonly inbound: AgentInbound;
  readonly registry: SessionRegistry;
  readonly authenticate: Authenticator;
  readonly identities: WorkerIdentities;
  readonly admission: Admission;
}

export const handleRegister =
  (deps: RegisterDeps) =>
  async (
    call: ServerUnaryCall<unknown, RegisterWorkerResponse>,
    callback: sendUnaryData<RegisterWorkerResponse>,
  ): Promise<void> => {
    const verdict = await deps.authenticate(call.metadata);
    if (!verdict.ok) return callback(serviceError(verdict));
    if (call.request instanceof Undecodable) {
      return callback(serviceError({ code: status.INVALID_ARGUMENT, message: call.request.why }));
    }
    const decoded = decodeRegistration(call.request);
    if (Either.isLeft(decoded)) return callback(serviceError(invalidArgument(decoded.left)));
    const registration = decoded.right;
    const room = () =>
      registration.workerId !== undefined && deps.registry.isRegistered(registration.workerId)
        ? undefined
        : deps.admission.roomForOneMore();

    let secret = "";
    let fresh = false;
    if (registration.workerId !== undefined) {
      const claim = await deps.identities.claim(
        registration.workerId,
        presentedSecret(call.metadata),
        room,
      );
      if (!claim.ok) return callback(serviceError(claim.refusal));
      secret = claim.issued ?? "";
      fresh = claim.bound;
    } else {
      const full = room();
      if (full !== undefined) return callback(serviceError(full));
    }

    const r = await runReport(deps.inbound.register(registration));
    if (!r.ok) {
      // A new identity for nothing: let it go at once.
      if (fresh) deps.admission.awaitSession(registration.workerId!, 0);
      return callback(serviceError(r.refusal));
    }
    const { workerId } = r.value;
    if (registration.workerId === undefined) {
      try {
        secret = await deps.identities.issue(workerId);
      } catch (e) {
        deps.admission.awaitSession(workerId, 0); // registered, but nobody can prove it: forget
        const why = e instanceof Error ? e.message : String(e);
        return callback(
          serviceError({ code: status.UNAVAILABLE, message: `cannot store its secret: ${why}` }),
        );
      }
      fresh = true;
    }
    deps.registry.markRegistered(workerId);
    if (fresh) deps.admission.awaitSession(workerId, r.value.heartbeatTimeoutMs);
    callback(null, {
      workerId,
      heartbeatIntervalMs: r.value.heartbeatIntervalMs,
      heartbeatTimeoutMs: r.value.heartbeatTimeoutMs,
      workerSecret: secret,
    });
  };
