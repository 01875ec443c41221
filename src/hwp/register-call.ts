/**
 * RegisterWorker: authenticate, decode, let the core register (or re-register) the worker, and
 * answer with its id and the heartbeat interval and timeout it must keep to.
 *
 * Nothing reaches the core before both checks pass: a wrong token or a malformed request
 * registers nothing. The worker id is remembered by the session registry, so that the agent's
 * Session (and StreamLogs) calls that follow are accepted.
 */
import type { sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { Either } from "effect";
import type { AgentInbound } from "../supervisor/gateway.ts";
import type { Authenticator } from "./auth.ts";
import { decodeRegistration } from "./registration.ts";
import { invalidArgument, runReport, serviceError } from "./refusal.ts";
import type { SessionRegistry } from "./sessions.ts";
import type { RegisterWorkerResponse } from "./wire.ts";

export interface RegisterDeps {
  readonly inbound: AgentInbound;
  readonly registry: SessionRegistry;
  readonly authenticate: Authenticator;
}

export const handleRegister =
  (deps: RegisterDeps) =>
  async (
    call: ServerUnaryCall<unknown, RegisterWorkerResponse>,
    callback: sendUnaryData<RegisterWorkerResponse>,
  ): Promise<void> => {
    const verdict = await deps.authenticate(call.metadata);
    if (!verdict.ok) return callback(serviceError(verdict));
    const decoded = decodeRegistration(call.request);
    if (Either.isLeft(decoded)) return callback(serviceError(invalidArgument(decoded.left)));
    const r = await runReport(deps.inbound.register(decoded.right));
    if (!r.ok) return callback(serviceError(r.refusal));
    deps.registry.markRegistered(r.value.workerId);
    callback(null, {
      workerId: r.value.workerId,
      heartbeatIntervalMs: r.value.heartbeatIntervalMs,
      heartbeatTimeoutMs: r.value.heartbeatTimeoutMs,
    });
  };
