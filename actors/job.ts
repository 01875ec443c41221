/**
 * The job actor: one job's lifecycle, pure. It performs no I/O; what the world must do is
 * emitted (`emit(...)`) as a JobEffect for the runtime to carry out.
 *
 * States:
 * - `start`: transient, the first state: a job whose `runAt` is still ahead is `delayed`, any
 *   other `queued`.
 * - `delayed`: waits for its `runAt` (its deadline), then is `queued`; cancel ends it. The
 *   runtime keeps only its timer in memory (the actor stays in the store until it is due).
 * - `queued`: waiting for the scheduler to place it.
 * - `scheduled`: reserved on a worker, assignment sent; waits for the agent to start it until
 *   the acceptance deadline. An assignment that is not started — refused by the agent, not
 *   accepted in time, its worker lost — *bounces*: the job waits a short backoff in
 *   `retry_wait` and is placed again, at most `maxBounces` times in its life (then `failed`).
 * - `running`: the agent started it. The agent enforces the timeout; the supervisor keeps a
 *   backstop deadline (timeout + cancel grace) in case the agent never reports. If its worker
 *   is lost, the attempt ends and the job is retried when the policy allows; on its last
 *   attempt it instead waits `lostGraceMs` for the worker to come back (`reattached`, as Nomad
 *   waits for a disconnected client) and only then fails: a job that finished on a worker that
 *   was only frozen or cut off is recorded as it ended, not as lost.
 * - `retry_wait`: an attempt failed and the policy allows another, or an assignment bounced;
 *   `queued` again at the backoff deadline.
 * - `cancelling`: cancel was asked while running; waits for the agent to confirm, or for the
 *   grace period to pass.
 * - `succeeded`, `failed`, `cancelled`, `timed_out`: final, absorbing.
 *
 * Counters: `attempt` numbers assignments (every message from an agent carries it, and one
 * from another attempt is refused); `starts` counts runs, and never exceeds `retry.maxAttempts`;
 * `bounces` counts assignments never started, and never exceeds `maxBounces`. A bounce does not
 * use up an attempt of the policy. So `attempt <= retry.maxAttempts + maxBounces`, always.
 *
 * After a supervisor restart, `recovered` gives the agents until `graceUntil` to reconnect:
 * deadlines that depend on hearing from an agent are not allowed to pass before then.
 *
 * Every timer is the absolute `deadline` in the context: the runtime delivers `tick` when its
 * clock passes it, so a restored actor fires at the right time, not "delay after restore".
 * Every event carries `at`, the runtime clock's time, so the machine never reads a clock.
 */
import { setup } from "xstate";
import type { JobState } from "../src/domain/job-state.ts";
import {
  backoffDelayMs,
  bounceDelayMs,
  maxBounces,
  type RetryPolicy,
} from "../src/domain/retry.ts";
import { assignAction, emitAction } from "./compilable.ts";
import type { JobEffect, JobMessage, JobResult } from "./job-messages.ts";

export type { JobEffect, JobMessage, JobResult } from "./job-messages.ts";

export interface JobInput {
  readonly jobId: string;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | null;
  /** How long a cancelled running job may take to stop before it is declared cancelled. */
  readonly cancelGraceMs: number;
  /**
   * How long a job on its last attempt waits for its lost worker to come back before it fails.
   * Default 0: it fails at once.
   */
  readonly lostGraceMs?: number;
  /** A delayed job: when it is due to be queued (epoch ms). Absent or null: queued at once. */
  readonly runAt?: number | null;
  /**
   * A finished job run again (redrive): its attempts so far and its history, which go on. The
   * retry policy's attempts and the bounces start afresh.
   */
  readonly resume?: { readonly attempt: number; readonly history: ReadonlyArray<HistoryLine> };
  readonly at: number;
}

export interface JobContext extends Omit<JobInput, "at" | "lostGraceMs" | "runAt" | "resume"> {
  readonly lostGraceMs: number;
  readonly runAt: number | null;
  readonly attempt: number;
  readonly starts: number;
  readonly bounces: number;
  /** When the worker of the running attempt was lost, while the job waits for it to return. */
  readonly workerLostAt: number | null;
  readonly workerId: string | null;
  readonly deadline: number | null;
  readonly result: JobResult | null;
  /**
   * One line per state entered, with the clock time it was entered at, and what the line adds
   * to the record: the worker on a `scheduled` line, the exit code on a line that an agent's
   * result with an exit code caused. So every attempt keeps its worker and exit code.
   */
  readonly history: ReadonlyArray<HistoryLine>;
}

export type HistoryLine =
  | readonly [state: JobState, at: number]
  | readonly [state: JobState, at: number, detail: string | number];

type Attempted = Extract<JobMessage, { attempt: number }>;

const at = (event: JobMessage | { type: string; input?: JobInput }): number =>
  "at" in event ? (event.at as number) : (event as { input: JobInput }).input.at;

const endedBy: Partial<Record<JobMessage["type"], string>> = {
  timed_out: "timed out on the agent",
  tick: "no report from the agent before the deadline",
  worker_lost: "the worker was lost",
  cancel: "cancelled",
  cancelled: "cancelled",
};

/** A bounce: the assignment in `scheduled` (the last history line) ended without a start. */
const isBounce = (c: JobContext, event: JobMessage): boolean =>
  c.history.at(-1)?.[0] === "scheduled" &&
  (event.type === "rejected" || event.type === "tick" || event.type === "worker_lost");

const resultOf = (c: JobContext, event: JobMessage): JobResult => {
  if (event.type === "succeeded" || event.type === "failed") {
    return {
      exitCode: event.exitCode ?? null,
      output: event.type === "succeeded" ? (event.output ?? null) : null,
      error: event.type === "failed" ? event.error : null,
    };
  }
  if (isBounce(c, event)) {
    const last =
      event.type === "rejected" ? `refused by the agent: ${event.reason}` : endedBy[event.type];
    return {
      exitCode: null,
      output: null,
      error: `not started: ${c.bounces + 1} assignments were not taken (the last: ${last})`,
    };
  }
  const lost = event.type === "tick" && c.workerLostAt !== null;
  return {
    exitCode: null,
    output: null,
    error: returnedWithout(event)
      ? "its worker came back without it (the agent no longer ran it)"
      : lost
        ? endedBy.worker_lost!
        : (endedBy[event.type] ?? event.type),
  };
};

const ending = new Set<JobMessage["type"]>([
  "succeeded",
  "failed",
  "timed_out",
  "tick",
  "worker_lost",
  "rejected",
  "cancel",
  "cancelled",
]);

/**
 * A result straight from `scheduled` (no start message, the state the last history line
 * names): the start was folded into the result, so it counts as a run.
 */
const foldedStart = (c: JobContext, event: JobMessage): number =>
  (event.type === "succeeded" || event.type === "failed" || event.type === "timed_out") &&
  c.history.at(-1)?.[0] === "scheduled"
    ? 1
    : 0;

/**
 * What entering `state` changes in the context, its history line included. One function, one
 * `assign` per transition: every assign makes a new context. (Each case is one object literal:
 * a literal that spreads one object and adds keys to it is slow in V8.)
 */
const onEnter = (state: JobState, c: JobContext, event: JobMessage): Partial<JobContext> => {
  const now = at(event);
  const history = [...c.history, lineOf(state, now, event)];
  const result = ending.has(event.type) ? resultOf(c, event) : c.result;
  const bounced = isBounce(c, event) ? 1 : 0;
  switch (state) {
    case "delayed":
      return { deadline: c.runAt, history };
    case "queued":
      return { workerId: null, deadline: null, history };
    case "scheduled":
      return event.type === "schedule"
        ? { attempt: c.attempt + 1, workerId: event.workerId, deadline: event.acceptBy, history }
        : { history };
    case "running":
      return { starts: c.starts + 1, deadline: runningDeadline(c, now), history };
    case "retry_wait": {
      if (bounced === 1) {
        const bounces = c.bounces + 1;
        return {
          bounces,
          workerId: null,
          deadline: now + bounceDelayMs(bounces, c.jobId),
          history,
        };
      }
      const starts = c.starts + foldedStart(c, event);
      return {
        result,
        starts,
        workerId: null,
        workerLostAt: null,
        deadline: now + backoffDelayMs(c.retry, starts, c.jobId),
        history,
      };
    }
    case "cancelling":
      return { deadline: now + c.cancelGraceMs, history };
    case "succeeded":
    case "failed":
    case "timed_out":
      return {
        result,
        workerId: null,
        deadline: null,
        starts: c.starts + foldedStart(c, event),
        bounces: c.bounces + bounced,
        history,
      };
    case "cancelled":
      return { result, workerId: null, deadline: null, history };
    default:
      return state satisfies never;
  }
};

/** The backstop of a running attempt started at `since`: timeout + cancel grace, if any. */
const runningDeadline = (c: JobContext, since: number): number | null =>
  c.timeoutMs === null ? null : since + c.timeoutMs + c.cancelGraceMs;

/** When the running attempt started: its last history line. */
const runningSince = (c: JobContext): number => c.history.at(-1)?.[1] ?? 0;

/** A new job's context, before it enters `queued`. */
export const initialContext = (input: JobInput): JobContext => ({
  jobId: input.jobId,
  retry: input.retry,
  timeoutMs: input.timeoutMs,
  cancelGraceMs: input.cancelGraceMs,
  lostGraceMs: input.lostGraceMs ?? 0,
  runAt: input.runAt ?? null,
  attempt: input.resume?.attempt ?? 0,
  starts: 0,
  bounces: 0,
  workerLostAt: null,
  workerId: null,
  deadline: null,
  result: null,
  history: input.resume?.history ?? [],
});

/** What a history line adds: the worker an attempt went to, or the exit code it ended with. */
const lineOf = (state: JobState, now: number, event: JobMessage): HistoryLine =>
  state === "scheduled" && event.type === "schedule"
    ? [state, now, event.workerId]
    : (event.type === "succeeded" || event.type === "failed") && typeof event.exitCode === "number"
      ? [state, now, event.exitCode]
      : [state, now];

/** The effect announcing `state`, from the context as entering it left it. */
export const transitioned = (state: JobState, c: JobContext, event: JobMessage): JobEffect => ({
  type: "job.transitioned" as const,
  jobId: c.jobId,
  state,
  attempt: c.attempt,
  workerId: c.workerId,
  result: c.result,
  at: at(event),
});

/** The assignment to push to the agent, on entering `scheduled`. */
export const assignment = (c: JobContext): JobEffect => ({
  type: "job.assign" as const,
  jobId: c.jobId,
  workerId: c.workerId ?? "",
  attempt: c.attempt,
  acceptBy: c.deadline ?? 0,
});

/** Entry of every state: its context changes with its history line, then the transition effect. */
const entered = (state: JobState) =>
  [
    { type: "enter", params: { state } },
    { type: "announce", params: { state } },
  ] as const;

/** The guards, as plain predicates: the named guards below are these and their conjunctions. */
const currentAttempt = (c: JobContext, event: JobMessage): boolean =>
  (event as Attempted).attempt === c.attempt;
const canRetry = (c: JobContext, event: JobMessage): boolean =>
  c.starts + foldedStart(c, event) < c.retry.maxAttempts;
const deadlinePassed = (c: JobContext, event: JobMessage): boolean =>
  event.type === "tick" && c.deadline !== null && event.at >= c.deadline;
const onThisWorker = (c: JobContext, event: JobMessage): boolean =>
  (event.type === "worker_lost" || event.type === "reattached") && event.workerId === c.workerId;
const workerIsLost = (c: JobContext): boolean => c.workerLostAt !== null;
/** Released by its worker's new session, which does not run it (see `worker_lost`). */
const returnedWithout = (event: JobMessage): boolean =>
  event.type === "worker_lost" && event.returned === true;

export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobMessage,
    input: {} as JobInput,
    emitted: {} as JobEffect,
  },
  // Named guards only (no `and`/`not` in the chart): the runtime compiles this machine, and
  // runs each guard as the plain function it is here.
  guards: {
    currentAttempt: ({ context, event }) => currentAttempt(context, event),
    canRetry: ({ context, event }) => canRetry(context, event),
    canBounce: ({ context }) => context.bounces + 1 < maxBounces,
    deadlinePassed: ({ context, event }) => deadlinePassed(context, event),
    onThisWorker: ({ context, event }) => onThisWorker(context, event),
    endedByTimeout: ({ context, event }) =>
      event.type === "timed_out" || (event.type === "tick" && context.workerLostAt === null),
    /** The agent reporting is the current attempt's, on the worker it was placed on. */
    currentAttemptOnThisWorker: ({ context, event }) =>
      currentAttempt(context, event) && onThisWorker(context, event),
    /** Its lost worker did not come back before the lost grace passed. */
    lostWorkerTooLong: ({ context, event }) =>
      deadlinePassed(context, event) && workerIsLost(context),
    onThisWorkerCanRetry: ({ context, event }) =>
      onThisWorker(context, event) && canRetry(context, event),
    /** Its worker came back without it: nothing to wait for, whatever attempt this is. */
    onThisWorkerReturnedWithout: ({ context, event }) =>
      onThisWorker(context, event) && returnedWithout(event),
    onThisWorkerNotYetLost: ({ context, event }) =>
      onThisWorker(context, event) && !workerIsLost(context),
    /** Its `runAt` is still ahead when it is created. */
    notYetDue: ({ context, event }) => context.runAt !== null && context.runAt > at(event),
  },
  actions: {
    enter: assignAction((context, event, { state }: { state: JobState }) =>
      onEnter(state, context, event),
    ),
    announce: emitAction((context, event, { state }: { state: JobState }): JobEffect =>
      transitioned(state, context, event),
    ),
    assign: emitAction((context): JobEffect => assignment(context)),
    refuse: emitAction((context, event): JobEffect => ({
      type: "job.refused",
      jobId: context.jobId,
      eventType: event.type,
      attempt: "attempt" in event ? event.attempt : null,
      current: context.attempt,
      reason:
        "attempt" in event && event.attempt !== context.attempt
          ? "stale_attempt"
          : "not_applicable",
    })),
    /** Last attempt, worker lost: wait for it to come back, until the lost grace passes. */
    awaitWorker: assignAction((context, event) => ({
      workerLostAt: at(event),
      deadline: at(event) + context.lostGraceMs,
    })),
    /**
     * The worker came back and still has this attempt: its usual deadline again, but at least
     * a cancel grace from now, for the agent to report what it kept while it was away.
     */
    rejoin: assignAction((context, event) => {
      const usual = runningDeadline(context, runningSince(context));
      return {
        workerLostAt: null,
        deadline: usual === null ? null : Math.max(usual, at(event) + context.cancelGraceMs),
      };
    }),
    /** A restart's grace: no agent-dependent deadline passes before `graceUntil`. */
    extendDeadline: assignAction((context, event): Partial<JobContext> =>
      event.type === "recovered" && context.deadline !== null
        ? { deadline: Math.max(context.deadline, event.graceUntil) }
        : {},
    ),
    cancelOnAgent: emitAction((context): JobEffect => ({
      type: "job.cancel_on_agent",
      jobId: context.jobId,
      workerId: context.workerId ?? "",
      attempt: context.attempt,
      graceMs: context.cancelGraceMs,
    })),
  },
}).createMachine({
  id: "job",
  initial: "start",
  context: ({ input }) => initialContext(input),
  // Messages that no state took: from another attempt, or not meaningful now. Refused, visibly.
  on: {
    started: { actions: "refuse" },
    succeeded: { actions: "refuse" },
    failed: { actions: "refuse" },
    timed_out: { actions: "refuse" },
    rejected: { actions: "refuse" },
    cancelled: { actions: "refuse" },
    schedule: { actions: "refuse" },
    reattached: { actions: "refuse" },
  },
  states: {
    /** Transient: where a new job begins. */
    start: {
      always: [{ guard: "notYetDue", target: "delayed" }, { target: "queued" }],
    },
    delayed: {
      entry: entered("delayed"),
      on: {
        tick: { guard: "deadlinePassed", target: "queued" },
        cancel: { target: "cancelled" },
      },
    },
    queued: {
      entry: entered("queued"),
      on: {
        schedule: { target: "scheduled" },
        cancel: { target: "cancelled" },
      },
    },
    scheduled: {
      entry: [...entered("scheduled"), "assign"],
      on: {
        started: { guard: "currentAttempt", target: "running" },
        succeeded: { guard: "currentAttempt", target: "succeeded" },
        failed: { guard: "currentAttempt", target: "attemptEnded" },
        timed_out: { guard: "currentAttempt", target: "attemptEnded" },
        rejected: { guard: "currentAttempt", target: "bounced" },
        // Not started in time: whatever the agent does with it now, it is not this job's run.
        tick: { guard: "deadlinePassed", target: "bounced", actions: "cancelOnAgent" },
        worker_lost: { guard: "onThisWorker", target: "bounced" },
        // The agent took it (its JobAccepted was lost with its connection): it runs.
        reattached: { guard: "currentAttemptOnThisWorker", target: "running" },
        recovered: { actions: "extendDeadline" },
        cancel: { target: "cancelled", actions: "cancelOnAgent" },
      },
    },
    /** Transient: an assignment that was not started goes back after a backoff, or ends it. */
    bounced: {
      always: [{ guard: "canBounce", target: "retry_wait" }, { target: "failed" }],
    },
    running: {
      entry: entered("running"),
      on: {
        succeeded: { guard: "currentAttempt", target: "succeeded" },
        failed: { guard: "currentAttempt", target: "attemptEnded" },
        timed_out: { guard: "currentAttempt", target: "attemptEnded" },
        tick: [
          // Its lost worker did not come back in time.
          { guard: "lostWorkerTooLong", target: "attemptEnded" },
          // No report past timeout + grace: stop it on the agent, end the attempt here.
          { guard: "deadlinePassed", target: "attemptEnded", actions: "cancelOnAgent" },
        ],
        worker_lost: [
          { guard: "onThisWorkerCanRetry", target: "attemptEnded" },
          { guard: "onThisWorkerReturnedWithout", target: "attemptEnded" },
          { guard: "onThisWorkerNotYetLost", actions: "awaitWorker" },
        ],
        reattached: { guard: "currentAttemptOnThisWorker", actions: "rejoin" },
        recovered: { actions: "extendDeadline" },
        cancel: { target: "cancelling", actions: "cancelOnAgent" },
      },
    },
    /** Transient: another attempt, or the end. Never rests here, so it is not a JobState. */
    attemptEnded: {
      always: [
        { guard: "canRetry", target: "retry_wait" },
        { guard: "endedByTimeout", target: "timed_out" },
        { target: "failed" },
      ],
    },
    retry_wait: {
      entry: entered("retry_wait"),
      on: {
        tick: { guard: "deadlinePassed", target: "queued" },
        cancel: { target: "cancelled" },
      },
    },
    cancelling: {
      entry: entered("cancelling"),
      on: {
        cancelled: { guard: "currentAttempt", target: "cancelled" },
        succeeded: { guard: "currentAttempt", target: "cancelled" },
        failed: { guard: "currentAttempt", target: "cancelled" },
        timed_out: { guard: "currentAttempt", target: "cancelled" },
        tick: { guard: "deadlinePassed", target: "cancelled" },
        worker_lost: { guard: "onThisWorker", target: "cancelled" },
        // The cancel may have been lost with the connection: ask again.
        reattached: { guard: "currentAttemptOnThisWorker", actions: "cancelOnAgent" },
        recovered: { actions: "extendDeadline" },
        cancel: {},
      },
    },
    succeeded: { type: "final", entry: entered("succeeded") },
    failed: { type: "final", entry: entered("failed") },
    cancelled: { type: "final", entry: entered("cancelled") },
    timed_out: { type: "final", entry: entered("timed_out") },
  },
});

export type JobMachine = typeof jobMachine;
