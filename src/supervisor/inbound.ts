/**
 * AgentInbound, implemented by the core: what an agent's report does to the actors.
 *
 * Reports that change a job go through `ask`, which answers after the commit of the round
 * that took them: that is when the transport may acknowledge. A report the job actor refused
 * (another attempt's, or one from a worker the job is not on) becomes `StaleAttempt`.
 */
import { Effect, Either, Schema } from "effect";
import type { JobEffect, JobMessage } from "../../actors/job.ts";
import type { WorkerEffect } from "../../actors/worker.ts";
import type { Bus } from "../bus/index.ts";
import { decodeWith } from "../domain/decode.ts";
import { NotFound, StaleAttempt } from "../domain/errors.ts";
import { ulid, type JobId } from "../domain/ids.ts";
import { WorkerId } from "../domain/ids.ts";
import { WorkerInfo, type Telemetry } from "../domain/worker.ts";
import type { Store } from "../persistence/index.ts";
import { jobLogSeq } from "../persistence/logs.ts";
import type { ActorSystem, Answer } from "../runtime/system.ts";
import { jobAddress, workerAddress, type HodeiKinds } from "../runtime/kinds.ts";
import type { CoreConfig } from "./config.ts";
import type { AgentInbound, Outcome, WorkerGateway } from "./gateway.ts";
import type { SchedulerMessage } from "../scheduler/messages.ts";
import { queuedJobOf, type RoutingContext } from "./routing.ts";
import { logEvents } from "./topics.ts";

/** What a registration must satisfy: the same rules as a stored worker record. */
const RegistrationFields = Schema.Struct({
  workerId: Schema.optionalWith(WorkerId, { exact: true }),
  name: WorkerInfo.fields.name,
  capacity: WorkerInfo.fields.capacity,
  labels: WorkerInfo.fields.labels,
  handlers: WorkerInfo.fields.handlers,
});

export interface InboundContext {
  readonly system: ActorSystem<HodeiKinds>;
  readonly store: Store;
  readonly bus: Bus;
  readonly config: CoreConfig;
  readonly routing: RoutingContext;
  readonly gateway: () => WorkerGateway;
}

const messageOf = (attempt: number, at: number, o: Outcome): JobMessage => {
  switch (o.kind) {
    case "succeeded":
      return {
        type: "succeeded",
        at,
        attempt,
        ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
        output: o.output ?? null,
      };
    case "failed":
      return {
        type: "failed",
        at,
        attempt,
        error: o.error,
        ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
      };
    case "timed_out":
      return { type: "timed_out", at, attempt };
    case "cancelled":
      return { type: "cancelled", at, attempt };
    case "rejected":
      return { type: "rejected", at, attempt, reason: o.reason };
  }
};

export const makeInbound = (ctx: InboundContext): AgentInbound => {
  const { system, routing } = ctx;
  /** Registered workers whose session has not said anything yet, with what to tell the scheduler then. */
  const awaitingSession = new Map<string, SchedulerMessage[]>();

  /**
   * A report for a job this supervisor no longer holds live: unknown (NotFound), or finished.
   * A finished job's own attempt reporting again is an agent re-sending a result whose
   * acknowledgement it missed (a reconnect): acknowledged again, changing nothing.
   */
  const afterTheEnd = (jobId: string, attempt: number, message: JobMessage) =>
    ctx.store.jobs.get(jobId).pipe(
      Effect.catchTag("StoreError", (e) => Effect.die(e)),
      Effect.flatMap((job) =>
        job.attempt === attempt && message.type !== "started"
          ? Effect.void
          : Effect.fail(new StaleAttempt({ jobId: job.id, attempt, current: job.attempt })),
      ),
    );

  /** One report to a job, answered once durable; refused ones become StaleAttempt. */
  const report = (workerId: string, jobId: string, attempt: number, message: JobMessage) =>
    Effect.gen(function* () {
      if (!routing.specs.has(jobId)) return yield* afterTheEnd(jobId, attempt, message);
      const on = routing.placedOn.get(jobId);
      if (on !== undefined && on !== workerId) {
        return yield* new StaleAttempt({ jobId: jobId as JobId, attempt, current: attempt });
      }
      const answer: Answer = yield* system
        .ask(jobAddress(jobId), message)
        .pipe(Effect.orElseSucceed((): Answer => ({ _tag: "dead", reason: "unavailable" })));
      if (answer._tag === "dead") return yield* afterTheEnd(jobId, attempt, message);
      const refused = (answer.effects as ReadonlyArray<JobEffect>).find(
        (e) => e.type === "job.refused",
      );
      if (refused !== undefined && refused.type === "job.refused") {
        return yield* new StaleAttempt({
          jobId: jobId as JobId,
          attempt,
          current: refused.current,
        });
      }
    });

  const heartbeatNow = (workerId: string, telemetry: Telemetry) => {
    const at = system.now();
    const first = awaitingSession.get(workerId);
    if (first !== undefined) {
      awaitingSession.delete(workerId);
      for (const m of first) routing.scheduler.send(m);
    } else if (!routing.scheduler.heartbeat(workerId, telemetry, at)) {
      return new NotFound({ kind: "worker", id: workerId });
    }
    const message = { type: "heartbeat" as const, at };
    return system.offer(workerAddress(workerId), message)
      ? undefined
      : system.tell(workerAddress(workerId), message).pipe(Effect.ignore);
  };

  return {
    register: (r) =>
      Effect.gen(function* () {
        const fields = decodeWith(RegistrationFields)({
          ...(r.workerId !== undefined ? { workerId: r.workerId } : {}),
          name: r.name,
          capacity: r.capacity,
          labels: r.labels,
          handlers: r.handlers,
        });
        if (Either.isLeft(fields)) return yield* fields.left;
        const workerId = fields.right.workerId ?? WorkerId.make(`w-${ulid().toLowerCase()}`);
        const at = system.now();
        const address = workerAddress(workerId);
        const known = yield* system.snapshot(address).pipe(Effect.orElseSucceed(() => undefined));
        // New, or come back under an id it had before it went offline (drained and left, or
        // forgotten): a fresh actor, as for a worker never seen.
        if (known === undefined || known.status === "done") {
          yield* system
            .spawn(address, { workerId, heartbeatTimeoutMs: ctx.config.heartbeatTimeoutMs, at })
            .pipe(Effect.ignore);
        }
        // The scheduler learns of the worker when its session is up (its first heartbeat):
        // placed before that, an assignment would have no session to go out on.
        const onSession: SchedulerMessage[] = [
          {
            type: "register",
            workerId,
            capacity: fields.right.capacity,
            labels: fields.right.labels,
            handlers: fields.right.handlers,
            at,
          },
        ];
        awaitingSession.set(workerId, onSession);
        const answer = yield* system
          .ask(address, { type: "registered", at, jobs: r.running.map((j) => j.jobId) })
          .pipe(Effect.orElseSucceed((): Answer => ({ _tag: "dead", reason: "unavailable" })));
        if (answer._tag === "taken") {
          for (const e of answer.effects as ReadonlyArray<WorkerEffect>) {
            if (e.type !== "worker.reconciled") continue;
            // Jobs it still runs keep their reservation there; jobs it runs that are not its
            // own (re-placed meanwhile, or finished) are stopped.
            for (const jobId of e.kept) {
              const spec = routing.specs.get(jobId);
              if (spec !== undefined) {
                onSession.push({ type: "adopt", job: queuedJobOf(jobId, spec, at), workerId });
              }
            }
            for (const jobId of e.unknown) {
              const attempt = r.running.find((j) => j.jobId === jobId)?.attempt ?? 0;
              ctx.gateway().cancel(workerId, { jobId, attempt, graceMs: ctx.config.cancelGraceMs });
            }
          }
        }
        const { workerId: _, ...described } = fields.right;
        const info: WorkerInfo = {
          ...described,
          id: workerId,
          state: "idle",
          registeredAt: at,
          lastHeartbeatAt: at,
        };
        yield* ctx.store.workers.put(info).pipe(Effect.ignore);
        return {
          workerId,
          heartbeatIntervalMs: ctx.config.heartbeatIntervalMs,
          heartbeatTimeoutMs: ctx.config.heartbeatTimeoutMs,
        };
      }),
    heartbeatNow,
    heartbeat: (workerId, telemetry) =>
      Effect.suspend(() => {
        const r = heartbeatNow(workerId, telemetry);
        return r === undefined ? Effect.void : r instanceof NotFound ? Effect.fail(r) : r;
      }),
    started: (workerId, jobId, attempt) =>
      report(workerId, jobId, attempt, { type: "started", at: system.now(), attempt }),
    result: (workerId, jobId, attempt, outcome) =>
      report(workerId, jobId, attempt, messageOf(attempt, system.now(), outcome)),
    logs: (workerId, jobId, attempt, lines) =>
      Effect.gen(function* () {
        if (!routing.specs.has(jobId)) return yield* new NotFound({ kind: "job", id: jobId });
        const on = routing.placedOn.get(jobId);
        if (on !== undefined && on !== workerId) {
          return yield* new StaleAttempt({ jobId: jobId as JobId, attempt, current: attempt });
        }
        // Numbered by the agent: a line sent again (after a restart, say) is stored once.
        const inputs = lines.map((l) => ({
          seq: jobLogSeq(attempt, l.seq),
          at: l.at,
          stream: l.stream,
          attempt,
          data: l.line,
        }));
        const stored = yield* ctx.store.logs.append(jobId, inputs).pipe(Effect.orDie);
        if (stored.chunks.length > 0) {
          ctx.bus.tryPublish(logEvents, { jobId, chunks: stored.chunks });
        }
      }),
    disconnected: () => {},
    left: (workerId) =>
      system.tell(workerAddress(workerId), { type: "left", at: system.now() }).pipe(Effect.ignore),
  };
};
