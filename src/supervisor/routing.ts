/**
 * Where the actors' effects go once their snapshot is committed: the scheduler, the agents
 * (through the gateway), the other actors, and the bus for live followers.
 *
 * Reservations follow the job's state: a job holds one only while `scheduled`, `running` or
 * `cancelling`. Any other state releases it (and takes the job out of the queue), `queued` puts
 * it back in the queue, a final state makes the scheduler forget it.
 */
import type { JobEffect, JobMessage } from "../../actors/job.ts";
import type { WorkerEffect, WorkerMessage } from "../../actors/worker.ts";
import type { Bus } from "../bus/index.ts";
import { holdsReservation, isTerminalJobState } from "../domain/job-state.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import { defaultQueue } from "../domain/queue.ts";
import type { QueuedJob } from "../scheduler/job-queue.ts";
import { QueueEntry } from "../scheduler/queue-entry.ts";
import type { WorkerGateway } from "./gateway.ts";
import type { JobSpecs } from "./job-virtual.ts";
import type { SchedulerActor } from "./scheduler-actor.ts";
import { jobEvents, workerEvents } from "./topics.ts";

/** What the router needs of the live system, kept narrow so it can be tested on its own. */
export interface RoutingContext {
  readonly scheduler: SchedulerActor;
  readonly gateway: () => WorkerGateway;
  readonly bus: Bus;
  readonly now: () => number;
  /** The specs of the jobs held: live ones, and queued ones in their virtual actors. */
  readonly specs: JobSpecs;
  /** Where each job was last assigned: a finished job's worker is told it is free. */
  readonly placedOn: Map<string, string>;
  readonly toJob: (jobId: string, message: JobMessage) => void;
  readonly toWorker: (workerId: string, message: WorkerMessage) => void;
  readonly finished: (
    jobId: string,
    effect: Extract<JobEffect, { type: "job.transitioned" }>,
  ) => void;
  /**
   * A job queued whose spec is not in memory (a delayed job come due: its actor was parked):
   * read its row back (with the others of the round), then queue the job unless it ended.
   */
  readonly queueFromStore: (jobId: string, at: number) => void;
}

/** The first enqueue time seen: queued jobs keep theirs as an offset from it (below). */
let clockBase: number | undefined;

/**
 * A queued job as the scheduler sees it, read from the spec the supervisor keeps for it: three
 * fields, the rest getters onto the spec's parts (shared between specs: spec-intern.ts), and
 * its own entry in the queue (queue-entry.ts). A million queued jobs each hold this, so it
 * holds nothing the spec already does. Its enqueue time is kept as milliseconds from the first
 * one seen, a small integer V8 keeps in the object, where a clock time would be a boxed double
 * of its own (16 bytes a job); one beyond ±24 days of it would be boxed, and still right.
 */
class SpecQueuedJob extends QueueEntry implements QueuedJob {
  private readonly at: number;

  constructor(
    readonly jobId: string,
    private readonly spec: JobSpec,
    enqueuedAt: number,
  ) {
    super();
    clockBase ??= enqueuedAt;
    this.at = enqueuedAt - clockBase;
  }
  get job(): QueuedJob {
    return this;
  }
  get enqueuedAt() {
    return clockBase! + this.at;
  }
  get demand() {
    return this.spec.resources;
  }
  get labels() {
    return this.spec.labels;
  }
  get constraints() {
    return this.spec.constraints;
  }
  get handler() {
    return this.spec.handler?.name;
  }
  get priority() {
    return this.spec.priority;
  }
  get concurrencyKey() {
    return this.spec.concurrencyKey;
  }
  get strategy() {
    return this.spec.strategy;
  }
  get queue() {
    return this.spec.queue;
  }
  get rateLimit() {
    return this.spec.rateLimit;
  }
}

export const queuedJobOf = (jobId: string, spec: JobSpec, at: number): QueuedJob =>
  new SpecQueuedJob(jobId, spec, at);

/** A job's new state, for live followers. */
export const announceJob = (
  ctx: Pick<RoutingContext, "bus">,
  effect: Extract<JobEffect, { type: "job.transitioned" }>,
  spec: JobSpec | undefined,
): void => {
  ctx.bus.tryPublish(jobEvents, {
    jobId: effect.jobId,
    state: effect.state,
    attempt: effect.attempt,
    workerId: effect.workerId,
    at: effect.at,
    queue: spec?.queue ?? defaultQueue,
    handler: spec?.handler?.name ?? null,
  });
};

/**
 * Jobs assigned to and finished on each worker, gathered over the effects of one commit and told
 * each worker once (`jobs_changed`): a busy worker's job list is copied once a round, not twice
 * per job. The system flushes them after each commit's effects (`flushWorkerChanges`, before
 * it can count itself settled); a microtask flushes what was routed outside of that.
 */
const workerChanges = new WeakMap<RoutingContext, Map<string, Array<readonly [string, boolean]>>>();

export const flushWorkerChanges = (ctx: RoutingContext): void => {
  const pending = workerChanges.get(ctx);
  if (pending === undefined) return;
  workerChanges.delete(ctx);
  const at = ctx.now();
  for (const [worker, changes] of pending)
    ctx.toWorker(worker, { type: "jobs_changed", at, changes });
};

const changeOnWorker = (
  ctx: RoutingContext,
  workerId: string,
  jobId: string,
  assigned: boolean,
): void => {
  let pending = workerChanges.get(ctx);
  if (pending === undefined) {
    pending = new Map();
    workerChanges.set(ctx, pending);
    queueMicrotask(() => flushWorkerChanges(ctx));
  }
  const list = pending.get(workerId);
  if (list === undefined) pending.set(workerId, [[jobId, assigned]]);
  else list.push([jobId, assigned]);
};

/**
 * `recovered`: the effect of a job's first state as a starting supervisor makes it again from
 * the job's row. That is no transition: nothing is announced (the state was when it was
 * entered; metrics and event streams would count it again), and nothing is released (the new
 * scheduler has reserved nothing).
 */
export const routeJobEffect = (ctx: RoutingContext, effect: JobEffect, recovered = false): void => {
  switch (effect.type) {
    case "job.transitioned": {
      const { jobId, state, at } = effect;
      // Read before a final state forgets it.
      const spec = ctx.specs.get(jobId);
      if (!recovered && !holdsReservation(state)) {
        ctx.scheduler.send({ type: "release", jobId });
        const worker = ctx.placedOn.get(jobId);
        if (worker !== undefined) {
          ctx.placedOn.delete(jobId);
          changeOnWorker(ctx, worker, jobId, false);
        }
      }
      if (state === "queued") {
        if (spec !== undefined)
          ctx.scheduler.send({ type: "enqueue", job: queuedJobOf(jobId, spec, at) });
        else ctx.queueFromStore(jobId, at);
      } else if (state === "retry_wait" || state === "cancelled") {
        ctx.scheduler.send({ type: "dequeue", jobId });
      }
      if (isTerminalJobState(state)) ctx.finished(jobId, effect);
      if (!recovered) announceJob(ctx, effect, spec);
      return;
    }
    case "job.assign": {
      const spec = ctx.specs.get(effect.jobId);
      if (spec === undefined) return;
      ctx.placedOn.set(effect.jobId, effect.workerId);
      changeOnWorker(ctx, effect.workerId, effect.jobId, true);
      ctx.gateway().assign(effect.workerId, {
        jobId: effect.jobId,
        attempt: effect.attempt,
        spec,
        acceptBy: effect.acceptBy,
      });
      return;
    }
    case "job.cancel_on_agent":
      ctx.gateway().cancel(effect.workerId, {
        jobId: effect.jobId,
        attempt: effect.attempt,
        graceMs: effect.graceMs,
      });
      return;
    case "job.refused":
      // A placement that arrived after the job moved on (cancelled meanwhile): give it back.
      if (effect.eventType === "schedule")
        ctx.scheduler.send({ type: "release", jobId: effect.jobId });
      return;
  }
};

export const routeWorkerEffect = (ctx: RoutingContext, effect: WorkerEffect): void => {
  switch (effect.type) {
    case "worker.transitioned":
      if (effect.state === "offline")
        ctx.scheduler.send({ type: "remove_worker", workerId: effect.workerId });
      if (effect.state === "draining")
        ctx.scheduler.send({ type: "drain_worker", workerId: effect.workerId });
      ctx.bus.tryPublish(workerEvents, {
        workerId: effect.workerId,
        state: effect.state,
        at: effect.at,
      });
      return;
    case "worker.lost":
      ctx.scheduler.send({ type: "lost", workerId: effect.workerId, at: effect.at });
      for (const jobId of effect.jobs) {
        ctx.placedOn.delete(jobId);
        ctx.toJob(jobId, { type: "worker_lost", at: effect.at, workerId: effect.workerId });
      }
      return;
    case "worker.reconciled":
      // Jobs the supervisor had on this worker that the agent no longer runs: place them again,
      // or end them on their last attempt (the worker is back: no return to wait for).
      for (const jobId of effect.released) {
        ctx.toJob(jobId, {
          type: "worker_lost",
          at: effect.at,
          workerId: effect.workerId,
          returned: true,
        });
      }
      return;
    case "worker.drain":
      ctx.gateway().drain(effect.workerId);
      return;
  }
};
