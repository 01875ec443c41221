/**
 * One agent's Session call, from Hello to its end.
 *
 * Modes of a session:
 * - awaiting Hello: nothing but a Hello naming a registered worker, with that worker's secret
 *   in the call's metadata, is accepted, within `helloTimeoutMs`; anything else ends the call
 *   (INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED, DEADLINE_EXCEEDED, or
 *   RESOURCE_EXHAUSTED when the server holds too many sessions).
 * - open: bound to its worker; Welcome sent. Reports go to the core; a refusal of one report is
 *   an Error message naming the job, and the session goes on. Each report is handed to the core
 *   as it arrives — the core puts it in its job's mailbox at once, so the job takes them in the
 *   agent's order, and a JobAccepted and the JobResult right behind it share one commit.
 *   A result is acknowledged (ResultAck) only once the core's Effect has resolved: durable.
 *   Reports may arrive one by one or many to a frame (`Reports`): each item is taken as if it
 *   had come alone, in order. What goes back about jobs (assignments, cancels, ResultAcks)
 *   leaves coalesced per turn (frame-batch.ts); Welcome, Drain and Error flush it first.
 *   Heartbeats, the bulk of what arrives, reach the core with the other sessions' heartbeats
 *   of the same turn (heartbeats.ts).
 * - closed: after Leave (the core was told the worker left), after the call ended or failed
 *   (the core is told it disconnected, unless a newer session had replaced this one), or when
 *   the server ends it.
 */
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import { Either, Exit } from "effect";
import type { Telemetry } from "../domain/worker.ts";
import type { AgentInbound } from "../supervisor/gateway.ts";
import type { Admission } from "./admission.ts";
import type { Authenticator } from "./auth.ts";
import { presentedSecret, type WorkerIdentities } from "./identity.ts";
import { decodeAgentMessage, reportItems, type AgentReport } from "./agent-messages.ts";
import { FrameBatch } from "../protocol/frame-batch.ts";
import type { LogProgress } from "./log-progress.ts";
import { DecodedHeartbeat } from "./heartbeat-bytes.ts";
import type { HeartbeatBatch } from "./heartbeats.ts";
import { invalidArgument, outcomeOf, runReport, serviceError, type Refusal } from "./refusal.ts";
import type { SessionHandle, SessionRegistry } from "./sessions.ts";
import { workItemBytes, type SupervisorMessage, type WorkItem } from "../protocol/wire.ts";

export interface SessionDeps {
  readonly inbound: AgentInbound;
  readonly registry: SessionRegistry;
  readonly authenticate: Authenticator;
  readonly logProgress: LogProgress;
  readonly heartbeats: HeartbeatBatch;
  readonly helloTimeoutMs: number;
  readonly identities: WorkerIdentities;
  readonly admission: Admission;
  /** How big a frame of coalesced work may grow (a quarter of the message size limit). */
  readonly maxFrameBytes: number;
}

type Call = ServerDuplexStream<unknown, SupervisorMessage>;

/** Job id and attempt of a message the decoder refused, when they can be read: the agent drops it. */
const jobOf = (raw: unknown): { jobId: string; attempt: number } => {
  const r = raw as Record<string, Record<string, unknown> | undefined> | null;
  const body = r?.["jobResult"] ?? r?.["jobAccepted"];
  const jobId = body?.["jobId"];
  const attempt = body?.["attempt"];
  return {
    jobId: typeof jobId === "string" ? jobId : "",
    attempt: typeof attempt === "number" ? attempt : 0,
  };
};

export const handleSession = (deps: SessionDeps) => async (call: Call) => {
  const verdict = await deps.authenticate(call.metadata);
  if (!verdict.ok) {
    call.emit("error", serviceError(verdict));
    return;
  }
  if (call.cancelled) return;

  let handle: SessionHandle | undefined;
  let closed = false;

  const frames = new FrameBatch<WorkItem, SupervisorMessage>({
    write: (message) => {
      if (!closed) call.write(message);
    },
    single: (item) => item,
    many: (items) => ({ work: { items } }),
    sizeOf: workItemBytes,
    maxBytes: deps.maxFrameBytes,
  });
  const push = (message: SupervisorMessage): void => {
    if (!closed) frames.send(message);
  };
  const work = (item: WorkItem): void => {
    if (!closed) frames.add(item);
  };
  const end = (refusal: Refusal | undefined): void => {
    if (closed) return;
    frames.flush(); // what was decided before the end still reaches an agent that listens
    closed = true;
    clearTimeout(helloTimer);
    if (handle !== undefined && deps.registry.unbind(handle))
      deps.inbound.disconnected(handle.workerId);
    if (refusal === undefined) call.end();
    else call.emit("error", serviceError(refusal));
  };
  const pushError = (refusal: Refusal, job = { jobId: "", attempt: 0 }): void =>
    push({ error: { code: refusal.code, message: refusal.message, ...job } });

  const helloTimer = setTimeout(
    () => end({ code: status.DEADLINE_EXCEEDED, message: "no Hello received in time" }),
    deps.helloTimeoutMs,
  );

  const hello = (report: AgentReport): void => {
    if (report.kind !== "hello") {
      return end({
        code: status.INVALID_ARGUMENT,
        message: "the first message of a session must be Hello",
      });
    }
    const { workerId } = report;
    if (!deps.registry.isRegistered(workerId)) {
      return end({
        code: status.FAILED_PRECONDITION,
        message: `worker ${workerId} has not registered with this supervisor: register first`,
      });
    }
    // Only the worker itself may say Hello for it (identity.ts).
    const impostor = deps.identities.verify(workerId, presentedSecret(call.metadata));
    if (impostor !== undefined) return end(impostor);
    clearTimeout(helloTimer);
    deps.admission.sessionOpened(workerId);
    const candidate: SessionHandle = { workerId, push, work, close: (r) => end(r) };
    const refused = deps.registry.bind(candidate);
    if (refused !== undefined) return end(refused);
    handle = candidate;
    push({ welcome: { workerId } });
  };

  /** The most frequent report: handed to the core with the others of this turn. */
  const refused = (r: Refusal): void => end(r);
  const heartbeat = (workerId: string, telemetry: Telemetry): void =>
    deps.heartbeats.add(workerId, telemetry, refused);

  const dispatch = (workerId: string, report: AgentReport): void => {
    const { inbound } = deps;
    switch (report.kind) {
      case "hello":
        return pushError({ code: status.INVALID_ARGUMENT, message: "Hello was already received" });
      case "heartbeat":
        return heartbeat(workerId, report.telemetry);
      case "accepted": {
        const job = { jobId: report.jobId, attempt: report.attempt };
        inbound.startedNow(workerId, job.jobId, job.attempt, (exit) => {
          if (Exit.isSuccess(exit)) return;
          const r = outcomeOf(exit);
          if (!r.ok) pushError(r.refusal, job);
        });
        return;
      }
      case "result": {
        const job = { jobId: report.jobId, attempt: report.attempt };
        inbound.resultNow(workerId, job.jobId, job.attempt, report.outcome, (exit) => {
          if (Exit.isFailure(exit)) {
            const r = outcomeOf(exit);
            if (!r.ok) pushError(r.refusal, job);
            return;
          }
          deps.logProgress.finished(workerId, job.jobId, job.attempt);
          work({ resultAck: job });
        });
        return;
      }
      case "leave":
        deps.heartbeats.flush(); // its heartbeats first, while the worker is still there
        void runReport(inbound.left(workerId)).then(() => {
          deps.registry.forget(workerId);
          if (handle !== undefined && deps.registry.unbind(handle)) handle = undefined;
          end(undefined);
        });
        return;
    }
  };

  const take = (raw: unknown): void => {
    if (closed) return;
    const decoded = decodeAgentMessage(raw);
    if (handle === undefined) {
      return Either.isLeft(decoded) ? end(invalidArgument(decoded.left)) : hello(decoded.right);
    }
    if (Either.isLeft(decoded)) return pushError(invalidArgument(decoded.left), jobOf(raw));
    dispatch(handle.workerId, decoded.right);
  };

  call.on("data", (raw: unknown) => {
    if (closed) return;
    if (raw instanceof DecodedHeartbeat && handle !== undefined) {
      return heartbeat(handle.workerId, raw.telemetry);
    }
    const items = reportItems(raw);
    if (items === undefined) return take(raw);
    for (const item of items) take(item);
  });
  call.on("end", () => end(undefined));
  call.on("cancelled", () => end(undefined));
  call.on("error", () => end(undefined));
};
