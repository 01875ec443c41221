/**
 * One StreamLogs call: the output of one job attempt, batch by batch.
 *
 * Batches are handed to the core (`inbound.logs`) and acknowledged (LogAck with the last seq
 * they carry) once that resolves, i.e. once the lines are durable. While one append is with the
 * core, the batches that arrive meanwhile are queued and go together in the next one: a job
 * that prints fast gets appends as large as the store's commit time lets them grow, instead of
 * one commit per batch with the call idle in between (a group commit per call). The queue is
 * bounded (`maxQueuedBytes`): past it the call is paused, and a job that prints faster than the
 * store writes is slowed down through gRPC flow control (and the agent's buffer limit), rather
 * than queued here without bound. When the agent half-closes, every batch has been
 * acknowledged and the call ends OK: that is the agent's signal that it may report the result.
 *
 * Lines at or below the last seq already forwarded for the attempt are skipped: they are
 * re-sends after a reconnect whose LogAck was lost.
 */
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import { Either } from "effect";
import type { AgentInbound, LogLine } from "../supervisor/gateway.ts";
import type { Authenticator } from "./auth.ts";
import { presentedSecret, type WorkerIdentities } from "./identity.ts";
import { decodeLogBatch, type DecodedLogBatch } from "./log-batch.ts";
import { DecodedLogBatchBytes } from "./log-batch-bytes.ts";
import type { LogProgress } from "./log-progress.ts";
import { invalidArgument, runReport, serviceError, type Refusal } from "./refusal.ts";
import type { SessionRegistry } from "./sessions.ts";
import { workerIdHeader, type LogAck } from "../protocol/wire.ts";

export interface LogCallDeps {
  readonly inbound: AgentInbound;
  readonly registry: SessionRegistry;
  readonly authenticate: Authenticator;
  readonly logProgress: LogProgress;
  readonly identities: WorkerIdentities;
}

type Call = ServerDuplexStream<unknown, LogAck>;

/** Queued bytes past which the call is paused until the queue is appended. */
export const maxQueuedBytes = 4 * 1024 * 1024;
/** Lines per append at most, so that one commit does not hold the event loop for long. */
export const maxAppendLines = 16_384;

/** About what a batch weighed on the wire, for one protobufjs decoded. */
const weight = (b: DecodedLogBatch): number => {
  let bytes = 0;
  for (const l of b.lines) bytes += l.line.length + 16;
  return bytes;
};

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
  // Only the worker itself may write its jobs' logs (identity.ts).
  const impostor = deps.identities.verify(workerId, presentedSecret(call.metadata));
  if (impostor !== undefined) {
    call.emit("error", serviceError(impostor));
    return;
  }

  let job: { readonly jobId: string; readonly attempt: number } | undefined;
  let done = false;
  let halfClosed = false;
  let appending = false;
  let paused = false;
  let queue: Array<{ readonly batch: DecodedLogBatch; readonly bytes: number }> = [];
  let queuedBytes = 0;

  const fail = (refusal: Refusal): void => {
    if (done) return;
    done = true;
    queue = [];
    call.emit("error", serviceError(refusal));
  };
  const finish = (): void => {
    if (done) return;
    done = true;
    call.end();
  };

  /** The queued batches, up to `maxAppendLines` lines (at least one batch). */
  const take = (): DecodedLogBatch[] => {
    const taken: DecodedLogBatch[] = [];
    let lines = 0;
    let n = 0;
    for (; n < queue.length; n++) {
      const { batch, bytes } = queue[n]!;
      if (n > 0 && lines + batch.lines.length > maxAppendLines) break;
      lines += batch.lines.length;
      queuedBytes -= bytes;
      taken.push(batch);
    }
    queue = n === queue.length ? [] : queue.slice(n);
    return taken;
  };

  /** Appends what is queued, then what queued up meanwhile, until nothing is left. */
  const drain = async (): Promise<void> => {
    appending = true;
    while (queue.length > 0 && !done) {
      const batches = take();
      if (paused && queuedBytes < maxQueuedBytes) {
        paused = false;
        call.resume();
      }
      const { jobId, attempt } = batches[0]!;
      let already = deps.logProgress.lastSeq(workerId, jobId, attempt);
      const fresh: LogLine[] = [];
      for (const b of batches) {
        for (const l of b.lines) {
          if (l.seq <= already) continue;
          fresh.push(l);
          already = l.seq;
        }
      }
      const last = batches[batches.length - 1]!.lines.at(-1)!.seq;
      if (fresh.length > 0) {
        const r = await runReport(deps.inbound.logs(workerId, jobId, attempt, fresh));
        if (!r.ok) return fail(r.refusal);
        deps.logProgress.advance(workerId, jobId, attempt, already);
      }
      if (!done) call.write({ seq: last });
    }
    appending = false;
    if (halfClosed) finish();
  };

  call.on("data", (raw: unknown) => {
    if (done) return;
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
    if (batch.lines.length === 0) return;
    const bytes = raw instanceof DecodedLogBatchBytes ? raw.bytes : weight(batch);
    queue.push({ batch, bytes });
    queuedBytes += bytes;
    if (queuedBytes >= maxQueuedBytes && !paused) {
      paused = true;
      call.pause();
    }
    if (!appending) void drain();
  });
  call.on("end", () => {
    halfClosed = true;
    if (!appending) finish();
  });
  call.on("cancelled", () => {
    done = true;
  });
  call.on("error", () => {
    done = true;
  });
};
