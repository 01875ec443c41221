/**
 * AgentInbound, implemented by the core: what an agent's report does to the actors.
 *
 * Reports that change a job go through `ask`, which answers after the commit of the round
 * that took them: that is when the transport may acknowledge. A report the job actor refused
 * (another attempt's, or one from a worker the job is not on) becomes `StaleAttempt`.
 */
import { Effect, Either, Exit, Schema } from "effect";
import type { JobEffect, JobMessage } from "../../actors/job.ts";
import type { Bus } from "../bus/index.ts";
import { decodeWith } from "../domain/decode.ts";
import { Conflict, NotFound, StaleAttempt } from "../domain/errors.ts";
import { ulid, type JobId } from "../domain/ids.ts";
import { WorkerId } from "../domain/ids.ts";
import { WorkerInfo, type Telemetry } from "../domain/worker.ts";
import type { Store } from "../persistence/index.ts";
import { jobLogSeq } from "../persistence/logs.ts";
import type { ActorSystem, Answer } from "../runtime/system.ts";
import { jobAddress, workerAddress, type HodeiKinds } from "./kinds.ts";
import type { CoreConfig } from "./config.ts";
import {
  reportByCallback,
  type AgentInbound,
  type Outcome,
  type ReportDone,
  type WorkerGateway,
} from "./gateway.ts";
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
  /**
   * Registered workers whose session has not said anything yet, with what to do once it has:
   * tell the scheduler (placed before that, an assignment would have no session to go out on)
   * and stop on the agent the attempts it should not run (a push needs the session).
   */
  const awaitingSession = new Map<string, Array<() => void>>();

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

  /** Asks a job, answered once durable: what it emitted, or undefined if it is not there. */
  const askJob = (jobId: string, message: JobMessage) =>
    system.ask(jobAddress(jobId), message).pipe(
      Effect.orElseSucceed((): Answer => ({ _tag: "dead", reason: "unavailable" })),
      Effect.map((answer) =>
        answer._tag === "dead" ? undefined : (answer.effects as ReadonlyArray<JobEffect>),
      ),
    );

  /**
   * One report to a job, `done` once durable; refused ones become StaleAttempt. No Effect on
   * the way of a report the job takes: the message goes to its mailbox now, and the answer
   * comes back by callback after the commit (an Effect only for a job no longer live).
   */
  const report = (
    workerId: string,
    jobId: string,
    attempt: number,
    message: JobMessage,
    done: ReportDone,
  ): void => {
    if (!routing.specs.has(jobId))
      return reportByCallback(afterTheEnd(jobId, attempt, message), done);
    const on = routing.placedOn.get(jobId);
    if (on !== undefined && on !== workerId) {
      return done(
        Exit.fail(new StaleAttempt({ jobId: jobId as JobId, attempt, current: attempt })),
      );
    }
    system.askNow(jobAddress(jobId), message, (answer) => {
      if (answer._tag === "dead")
        return reportByCallback(afterTheEnd(jobId, attempt, message), done);
      for (const e of answer.effects as ReadonlyArray<JobEffect>) {
        if (e.type === "job.refused") {
          return done(
            Exit.fail(new StaleAttempt({ jobId: jobId as JobId, attempt, current: e.current })),
          );
        }
      }
      done(Exit.void);
    });
  };
  const startedNow = (workerId: string, jobId: string, attempt: number, done: ReportDone) =>
    report(workerId, jobId, attempt, { type: "started", at: system.now(), attempt }, done);
  const resultNow = (
    workerId: string,
    jobId: string,
    attempt: number,
    outcome: Outcome,
    done: ReportDone,
  ) => report(workerId, jobId, attempt, messageOf(attempt, system.now(), outcome), done);

  /**
   * A reconnecting agent reports an attempt it runs (or finished, result not acknowledged):
   * offered back to its job. Kept, it is this worker's again (reservation, job list); refused,
   * or for a job that is over or unknown, it is stopped on the agent once its session is up.
   */
  const reattach = (workerId: string, ref: { jobId: string; attempt: number }, at: number) =>
    Effect.gen(function* () {
      const spec = routing.specs.get(ref.jobId);
      const effects =
        spec === undefined
          ? undefined
          : yield* askJob(ref.jobId, { type: "reattached", at, workerId, attempt: ref.attempt });
      if (
        spec !== undefined &&
        effects !== undefined &&
        !effects.some((e) => e.type === "job.refused")
      ) {
        routing.placedOn.set(ref.jobId, workerId);
        routing.toWorker(workerId, { type: "job_assigned", at, jobId: ref.jobId });
        return () =>
          routing.scheduler.send({
            type: "adopt",
            job: queuedJobOf(ref.jobId, spec, at),
            workerId,
          });
      }
      return () => ctx.gateway().cancel(workerId, { ...ref, graceMs: ctx.config.cancelGraceMs });
    });

  const heartbeatNow = (workerId: string, telemetry: Telemetry) => {
    const at = system.now();
    const first = awaitingSession.get(workerId);
    if (first !== undefined) {
      awaitingSession.delete(workerId);
      for (const f of first) f();
    } else {
      const taken = routing.scheduler.heartbeat(workerId, telemetry, at);
      if (taken === "unknown") return new NotFound({ kind: "worker", id: workerId });
      // Lost (frozen, cut off) and back: it must register again, so that what it runs and
      // what it finished meanwhile is reconciled before it takes work.
      if (taken === "lost") {
        return new Conflict({
          message: `worker ${workerId} was declared lost (no heartbeat in time): register again`,
        });
      }
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
        // The scheduler learns of the worker when its session is up (its first heartbeat).
        const onSession: Array<() => void> = [
          () =>
            routing.scheduler.send({
              type: "register",
              workerId,
              capacity: fields.right.capacity,
              labels: fields.right.labels,
              handlers: fields.right.handlers,
              at,
            }),
        ];
        awaitingSession.set(workerId, onSession);
        const reported = [...new Map(r.running.map((j) => [j.jobId, j])).values()];
        yield* system
          .ask(address, { type: "registered", at, jobs: reported.map((j) => j.jobId) })
          .pipe(Effect.ignore);
        // Jobs it placed here and the agent no longer reports were released by the worker's
        // reconciliation; each job it reports is offered back to its job.
        for (const ref of reported) onSession.push(yield* reattach(workerId, ref, at));
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
        if (r === undefined) return Effect.void;
        return r instanceof NotFound || r instanceof Conflict ? Effect.fail(r) : r;
      }),
    startedNow,
    resultNow,
    started: (workerId, jobId, attempt) =>
      Effect.async((resume) => startedNow(workerId, jobId, attempt, resume)),
    result: (workerId, jobId, attempt, outcome) =>
      Effect.async((resume) => resultNow(workerId, jobId, attempt, outcome, resume)),
    logs: (workerId, jobId, attempt, lines) =>
      Effect.gen(function* () {
        if (!routing.specs.has(jobId)) return yield* new NotFound({ kind: "job", id: jobId });
        // Only the attempt running on this worker now may write the job's log: not another
        // worker's, not a queued job's, not an earlier or a made-up attempt.
        const job = yield* system
          .snapshot(jobAddress(jobId))
          .pipe(Effect.orElseSucceed(() => undefined));
        const now = job?.context;
        if (now === undefined || now.workerId !== workerId || now.attempt !== attempt) {
          const current = now?.attempt ?? 0;
          return yield* new StaleAttempt({ jobId: jobId as JobId, attempt, current });
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
    // Drained, it has no jobs, so it goes offline (final) at once: nothing left to recover.
    forget: (workerId) =>
      Effect.gen(function* () {
        awaitingSession.delete(workerId);
        const at = system.now();
        yield* system.tell(workerAddress(workerId), { type: "drain", at }).pipe(Effect.ignore);
        yield* ctx.store.workers.remove(workerId).pipe(Effect.ignore);
      }),
  };
};
