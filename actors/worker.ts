/**
 * The worker actor: what the supervisor knows of one agent's life, pure.
 *
 * States:
 * - `registering`: spawned for a RegisterWorker call, until the session is up.
 * - `idle` / `busy`: connected and heartbeating, with no job / with at least one job (entered
 *   through the transient `choose`, which picks one by the job list).
 * - `draining`: told to take no new work; it finishes what it runs, then goes `offline`.
 * - `lost`: the heartbeat deadline passed. Its jobs are handed back (`worker.lost`) at once.
 *   The agent may come back under the same id (`registered` again, after a reconnect, or after
 *   its next heartbeat was refused with "register again"): it rejoins, and what it reports is
 *   reconciled job by job. Lost past the retention period, or pruned, it is forgotten
 *   (`forget`): `offline`.
 * - `offline`: left cleanly after draining, or forgotten. Final.
 *
 * The heartbeat deadline is absolute (`deadline` in the context); the runtime delivers `tick`
 * when its clock passes it. Every event carries `at`, the runtime clock's time. After a
 * supervisor restart, `recovered` moves it to no earlier than the restart's grace.
 */
import { setup } from "xstate";
import type { WorkerState } from "../src/domain/worker.ts";
import { assignAction, emitAction } from "./compilable.ts";
import type { WorkerEffect, WorkerMessage } from "./worker-messages.ts";

export type { WorkerEffect, WorkerMessage } from "./worker-messages.ts";

export interface WorkerInput {
  readonly workerId: string;
  readonly heartbeatTimeoutMs: number;
  readonly at: number;
}

export interface WorkerContext {
  readonly workerId: string;
  readonly heartbeatTimeoutMs: number;
  readonly deadline: number;
  /** Jobs this worker runs now, as far as the supervisor knows. */
  readonly jobs: ReadonlyArray<string>;
  readonly lastHeartbeatAt: number;
  readonly history: ReadonlyArray<readonly [WorkerState, number]>;
}

/**
 * The most history lines a worker keeps: its last changes. A worker that runs one job at a time
 * turns busy and idle again for every job, so an unbounded history grew (and was copied) with
 * every job it ever ran.
 */
export const workerHistoryLimit = 32;

const at = (event: WorkerMessage | { type: string }): number =>
  "at" in event ? (event.at as number) : (event as unknown as { input: WorkerInput }).input.at;

const entered = (state: WorkerState) =>
  [
    { type: "record", params: { state } },
    { type: "announce", params: { state } },
  ] as const;

/** What the agent reports, once each: a report is a set, whatever the wire repeated. */
const reported = (event: WorkerMessage): ReadonlyArray<string> =>
  event.type === "registered" ? [...new Set(event.jobs)] : [];

/**
 * The job list with `jobId` added (once) / removed: what `addJob` and `removeJob` assign. A busy
 * worker's list is long and changes twice per job: each new list is allocated at its size once
 * (`concat`, `toSpliced`), not grown element by element.
 */
export const withJob = (jobs: ReadonlyArray<string>, jobId: string): ReadonlyArray<string> =>
  jobs.includes(jobId) ? jobs : jobs.concat(jobId);
export const without = (jobs: ReadonlyArray<string>, jobId: string): ReadonlyArray<string> => {
  const i = jobs.indexOf(jobId);
  if (i < 0) return jobs;
  // Only once in a list that `withJob` made; any other copy goes too, as a filter would.
  const rest = jobs.toSpliced(i, 1);
  return rest.includes(jobId) ? rest.filter((j) => j !== jobId) : rest;
};
/** Up to this many changes at once are applied one by one (see `changedJobs`). */
const fewChanges = 16;
/**
 * The job list after `changes` (jobs assigned and finished, in order): as the same changes one
 * by one through `withJob` and `without` leave it, order included. `adds: false` applies only
 * the finished ones (a draining worker takes nothing new). A round brings a busy worker a few
 * changes to a long list: they are applied to one copy of it. Many go through a Set of it (a
 * search each would cost more than the Set).
 */
export const changedJobs = (
  jobs: ReadonlyArray<string>,
  changes: ReadonlyArray<readonly [string, boolean]>,
  adds = true,
): ReadonlyArray<string> => {
  if (changes.length <= fewChanges) {
    // The one copy, made at the first change that changes something.
    let out: string[] | undefined;
    for (const [jobId, assigned] of changes) {
      const list = out ?? jobs;
      if (assigned) {
        if (adds && !list.includes(jobId)) (out ??= jobs.slice()).push(jobId);
        continue;
      }
      let i = list.indexOf(jobId);
      if (i < 0) continue;
      out ??= jobs.slice();
      // Every copy goes, as `without` takes them.
      for (; i >= 0; i = out.indexOf(jobId, i)) out.splice(i, 1);
    }
    return out ?? jobs;
  }
  const set = new Set(jobs);
  for (const [jobId, assigned] of changes) {
    if (!assigned) set.delete(jobId);
    else if (adds) set.add(jobId);
  }
  const out = [...set];
  return out.length === jobs.length && out.every((j, i) => j === jobs[i]) ? jobs : out;
};
const changedBy = (jobs: ReadonlyArray<string>, event: WorkerMessage): ReadonlyArray<string> =>
  event.type === "jobs_changed" ? changedJobs(jobs, event.changes) : jobs;

/** `jobId` finishing leaves the worker with no job: it becomes idle. */
export const isLastJob = (jobs: ReadonlyArray<string>, jobId: string): boolean =>
  jobs.length > 0 && jobs.every((j) => j === jobId);

/** `changeJobs` applying assignments too (but while draining). */
const all = { adds: true } as const;

/**
 * What a connected worker (`idle` or `busy`) takes whichever of the two it is. The machine is
 * flat, so that the runtime can compile it: these are written once and spread into both.
 */
const connected = {
  heartbeat: { actions: "alive" },
  // The same agent registering again (a new session): reconcile, stay connected.
  registered: { target: "choose", actions: ["alive", "reconcile", "adoptReported"] },
  jobs_recovered: { target: "choose", actions: "recoverJobs" },
  drain: { target: "draining", actions: "pushDrain" },
  tick: { guard: "deadlinePassed", target: "lost" },
  recovered: { actions: "extendDeadline" },
} as const;

export const workerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerMessage,
    input: {} as WorkerInput,
    emitted: {} as WorkerEffect,
  },
  guards: {
    hasJobs: ({ context }) => context.jobs.length > 0,
    noJobs: ({ context }) => context.jobs.length === 0,
    deadlinePassed: ({ context, event }) => event.type === "tick" && event.at >= context.deadline,
    lastJobFinished: ({ context, event }) =>
      event.type === "job_finished" && isLastJob(context.jobs, event.jobId),
    reportsJobs: ({ event }) => event.type === "jobs_recovered" && event.jobs.length > 0,
    filledBy: ({ context, event }) => changedBy(context.jobs, event).length > 0,
    emptiedBy: ({ context, event }) => changedBy(context.jobs, event).length === 0,
  },
  actions: {
    record: assignAction((context, event, { state }: { state: WorkerState }) => ({
      history: [...context.history.slice(1 - workerHistoryLimit), [state, at(event)] as const],
    })),
    announce: emitAction((context, event, { state }: { state: WorkerState }): WorkerEffect => ({
      type: "worker.transitioned",
      workerId: context.workerId,
      state,
      jobs: context.jobs,
      at: at(event),
    })),
    alive: assignAction((context, event) => ({
      deadline: at(event) + context.heartbeatTimeoutMs,
      lastHeartbeatAt: at(event),
    })),
    addJob: assignAction((context, event) => ({
      jobs: event.type === "job_assigned" ? withJob(context.jobs, event.jobId) : context.jobs,
    })),
    removeJob: assignAction((context, event) => ({
      jobs: event.type === "job_finished" ? without(context.jobs, event.jobId) : context.jobs,
    })),
    changeJobs: assignAction((context, event, { adds }: { adds: boolean }) => ({
      jobs:
        event.type === "jobs_changed"
          ? changedJobs(context.jobs, event.changes, adds)
          : context.jobs,
    })),
    recoverJobs: assignAction((context, event) => ({
      jobs: event.type === "jobs_recovered" ? [...new Set(event.jobs)] : context.jobs,
    })),
    dropJobs: assignAction((_context) => ({ jobs: [] })),
    /** Recovered lost: hand back whatever the job actors still place here. */
    handBackRecovered: emitAction((context, event): WorkerEffect => ({
      type: "worker.lost",
      workerId: context.workerId,
      jobs: event.type === "jobs_recovered" ? [...new Set(event.jobs)] : [],
      at: at(event),
    })),
    /** Reconnect: the agent's report is the truth about what it runs; the rest is released. */
    reconcile: emitAction((context, event): WorkerEffect => ({
      type: "worker.reconciled",
      workerId: context.workerId,
      reported: reported(event),
      released:
        event.type === "registered" ? context.jobs.filter((j) => !event.jobs.includes(j)) : [],
      at: at(event),
    })),
    extendDeadline: assignAction((context, event) => ({
      deadline:
        event.type === "recovered"
          ? Math.max(context.deadline, event.graceUntil)
          : context.deadline,
    })),
    adoptReported: assignAction((context, event) => ({
      jobs:
        event.type === "registered"
          ? reported(event).filter((j) => context.jobs.includes(j))
          : context.jobs,
    })),
    handBack: emitAction((context, event): WorkerEffect => ({
      type: "worker.lost",
      workerId: context.workerId,
      jobs: context.jobs,
      at: at(event),
    })),
    pushDrain: emitAction((context): WorkerEffect => ({
      type: "worker.drain",
      workerId: context.workerId,
    })),
  },
}).createMachine({
  id: "worker",
  initial: "registering",
  context: ({ input }) => ({
    workerId: input.workerId,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    deadline: input.at + input.heartbeatTimeoutMs,
    jobs: [],
    lastHeartbeatAt: input.at,
    history: [],
  }),
  states: {
    registering: {
      entry: entered("registering"),
      on: {
        registered: { target: "choose", actions: ["alive", "reconcile", "adoptReported"] },
        tick: { guard: "deadlinePassed", target: "lost" },
        jobs_recovered: { actions: "recoverJobs" },
        recovered: { actions: "extendDeadline" },
      },
    },
    /** Transient: connected, and `idle` or `busy` by whether it runs anything. */
    choose: { always: [{ guard: "hasJobs", target: "busy" }, { target: "idle" }] },
    idle: {
      entry: entered("idle"),
      on: {
        ...connected,
        job_assigned: { target: "busy", actions: "addJob" },
        jobs_changed: [
          { guard: "filledBy", target: "busy", actions: { type: "changeJobs", params: all } },
          { actions: { type: "changeJobs", params: all } },
        ],
      },
    },
    // One more job keeps it busy: no new history line, nothing announced, so a worker's
    // history follows its idle/busy changes, not the jobs it runs (and keeps the last
    // `workerHistoryLimit` of them).
    busy: {
      entry: entered("busy"),
      on: {
        ...connected,
        job_assigned: { actions: "addJob" },
        job_finished: [
          { guard: "lastJobFinished", target: "idle", actions: "removeJob" },
          { actions: "removeJob" },
        ],
        jobs_changed: [
          { guard: "emptiedBy", target: "idle", actions: { type: "changeJobs", params: all } },
          { actions: { type: "changeJobs", params: all } },
        ],
      },
    },
    draining: {
      entry: entered("draining"),
      always: { guard: "noJobs", target: "offline" },
      on: {
        heartbeat: { actions: "alive" },
        // A new session while draining: reconcile, and keep draining.
        registered: { actions: ["alive", "reconcile", "adoptReported"] },
        job_finished: { actions: "removeJob" },
        jobs_changed: { actions: { type: "changeJobs", params: { adds: false } } },
        jobs_recovered: { actions: "recoverJobs" },
        tick: { guard: "deadlinePassed", target: "lost" },
        recovered: { actions: "extendDeadline" },
        // Left with jobs still on it (the agent gave up waiting): they must be placed again.
        left: [
          { guard: "hasJobs", target: "offline", actions: ["handBack", "dropJobs"] },
          { target: "offline" },
        ],
      },
    },
    lost: {
      entry: [...entered("lost"), "handBack", "dropJobs"],
      on: {
        registered: { target: "choose", actions: ["alive", "reconcile", "adoptReported"] },
        // It handed its jobs back when it was lost: nothing is left to do for it.
        forget: { target: "offline" },
        // Its jobs were handed back when it was lost; any that a crash kept from learning it
        // are handed back again.
        jobs_recovered: { guard: "reportsJobs", actions: "handBackRecovered" },
      },
    },
    offline: { type: "final", entry: entered("offline") },
  },
});

export type WorkerMachine = typeof workerMachine;
