/**
 * One StreamLogs call: the output of one job attempt, batch by batch.
 *
 * Each batch is handed to the core (`inbound.logs`) and acknowledged (LogAck with its last seq)
 * once that resolves, i.e. once the lines are durable. The call is paused while a batch is with
 * the core: a job that prints faster than the store writes is slowed down through gRPC flow
 * control (and the agent's buffer limit), rather than queued here without bound. When the agent
 * half-closes, every batch has been acknowledged and the call ends OK: that is the agent's
 * signal that it may report the result.
 *
 * Lines at or below the last seq already forwarded for the attempt are skipped: they are
 * re-sends after a reconnect whose LogAck was lost.
 */
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import { Either } from "effect";
import type { AgentInbound } from "../supervisor/gateway.ts";
import type { Authenticator } from "./auth.ts";
import { decodeLogBatch } from "./log-batch.ts";
import type { LogProgress } from "./log-progress.ts";
import { invalidArgument, runReport, serviceError, type Refusal } from "./refusal.ts";
import type { SessionRegistry } from "./sessions.ts";
import { workerIdHeader, type LogAck } from "./wire.ts";

export interface LogCallDeps {
  readonly inbound: AgentInbound;
  readonly registry: SessionRegistry;
  readonly authenticate: Authenticator;
  readonly logProgress: LogProgress;
}

type Call = ServerDuplexStream<unknown, LogAck>;

export const handleStreamLogs = (deps: LogCallDeps) => async (call: Call) => {
  const verdict = await deps.authenticate(call.metadata);
  if (!verdict.ok) {
    call.emit("error", serviceError(verdict));
    return;
  }
  const [workerId] = call.metadata.get(workerIdHeader);
  if (typeof workerId !== "string" || deps.registry.current(workerId) === undefined) {
    call.emit(
      "error",
      serviceError({
        code: status.FAILED_PRECONDITION,
        message: `StreamLogs needs '${workerIdHeader}' naming a worker with an open session`,
      }),
    );
    return;
  }

  let job: { readonly jobId: string; readonly attempt: number } | undefined;
  let done = false;
  const fail = (refusal: Refusal): void => {
    if (done) return;
    done = true;
    call.emit("error", serviceError(refusal));
  };

  const handle = async (raw: unknown): Promise<void> => {
    const decoded = decodeLogBatch(raw);
    if (Either.isLeft(decoded)) return fail(invalidArgument(decoded.left));
    const batch = decoded.right;
    if (job === undefined) job = { jobId: batch.jobId, attempt: batch.attempt };
    else if (job.jobId !== batch.jobId || job.attempt !== batch.attempt) {
      return fail({
        code: status.INVALID_ARGUMENT,
        message: `jobId: one StreamLogs call carries one attempt (${job.jobId}/${job.attempt})`,
      });
    }
    const last = batch.lines.at(-1);
    if (last === undefined) return;
    const already = deps.logProgress.lastSeq(workerId, batch.jobId, batch.attempt);
    const fresh =
      batch.lines[0]!.seq > already ? batch.lines : batch.lines.filter((l) => l.seq > already);
    if (fresh.length > 0) {
      const r = await runReport(deps.inbound.logs(workerId, batch.jobId, batch.attempt, fresh));
      if (!r.ok) return fail(r.refusal);
      deps.logProgress.advance(workerId, batch.jobId, batch.attempt, last.seq);
    }
    if (!done) call.write({ seq: last.seq });
  };

  call.on("data", (raw: unknown) => {
    call.pause();
    void handle(raw).then(() => {
      if (!done) call.resume();
    });
  });
  call.on("end", () => {
    if (done) return;
    done = true;
    call.end();
  });
  call.on("cancelled", () => {
    done = true;
  });
  call.on("error", () => {
    done = true;
  });
};
