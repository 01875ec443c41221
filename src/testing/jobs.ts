/**
 * The simulated jobs of a run. Each is the REAL job actor (actors/job.ts, through the runtime's
 * own driver and behaviour); around it the simulator plays, from the scenario:
 *
 * - the scheduler: a job entering `queued` is scheduled on a fresh worker `queueMs` later, with
 *   the supervisor's acceptance deadline;
 * - the agent (agent.ts): what happens to each assignment, and to a cancel;
 * - timers: the job's `deadline` is delivered as `tick` when the virtual clock reaches it.
 *
 * A job takes the next plan of its step's list when it is queued without one, and keeps it
 * until that run ends, so a hiccup and the run after it share a plan. The runs of every job of a
 * step use the step's list in turn.
 */
import type { JobEffect, JobMessage } from "../../actors/job.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import { isTerminalJobState } from "../domain/job-state.ts";
import { makeDriver } from "../runtime/behaviour.ts";
import { jobBehaviour } from "../supervisor/kinds.ts";
import { makeAgent, type AgentJob } from "./agent.ts";
import type { VirtualClock } from "./clock.ts";
import { attempt, anyStep, type AttemptPlan, type Scenario } from "./scenario.ts";
import type { EndedJobState, StepRef, TraceEvent } from "./trace.ts";

const driver = makeDriver(jobBehaviour);
type JobSnapshot = ReturnType<typeof driver.initial>["snapshot"];
export type JobTransition = Extract<JobEffect, { type: "job.transitioned" }>;

export interface SimJob {
  readonly jobId: string;
  readonly ref: StepRef;
  readonly key: string;
  readonly maxAttempts: number;
  readonly timeoutMs: number | null;
  readonly createdAt: number;
  readonly snapshot: JobSnapshot;
  readonly endedAt: number | null;
}

interface Cell extends SimJob, AgentJob {
  snapshot: JobSnapshot;
  endedAt: number | null;
  armed: number | null;
  /** Bounces seen so far: a `retry_wait` with more is a bounce, not a retry. */
  bounces: number;
}

export interface JobWorld {
  readonly create: (ref: StepRef, key: string, spec: JobSpec) => SimJob;
  readonly byKey: (key: string) => SimJob | undefined;
  readonly byId: (jobId: string) => SimJob | undefined;
  /** A `cancel` into the job's mailbox, now. */
  readonly cancel: (jobId: string) => void;
  readonly jobs: () => ReadonlyArray<SimJob>;
  readonly allEnded: () => boolean;
}

export interface JobWorldDeps {
  readonly clock: VirtualClock;
  readonly scenario: Scenario;
  readonly cancelGraceMs: number;
  readonly acceptTimeoutMs: number;
  readonly record: (e: TraceEvent) => void;
  readonly onEnded: (job: SimJob, transition: JobTransition) => void;
}

export const makeJobWorld = (deps: JobWorldDeps): JobWorld => {
  const { clock, record } = deps;
  const cells = new Map<string, Cell>();
  const byKey = new Map<string, Cell>();
  const used = new Map<string, number>();
  let workers = 0;
  let live = 0;

  const nextPlan = (step: string): AttemptPlan => {
    const plans = deps.scenario.attempts[step] ?? deps.scenario.attempts[anyStep] ?? [];
    const n = used.get(step) ?? 0;
    used.set(step, n + 1);
    return plans.length === 0 ? attempt() : plans[n % plans.length]!;
  };

  const arm = (cell: Cell) => {
    const d = driver.deadline(cell.snapshot);
    if (d === null || d === cell.armed) return;
    cell.armed = d;
    clock.schedule(d, "world", () => {
      if (cell.armed !== d) return;
      cell.armed = null;
      deliver(cell, { type: "tick", at: clock.now() });
    });
  };

  const deliver = (cell: Cell, message: JobMessage) => {
    if (driver.isDone(cell.snapshot)) return;
    const next = driver.step(cell.snapshot, message);
    cell.snapshot = next.snapshot;
    for (const e of next.effects) perform(cell, e);
    arm(cell);
  };

  const agent = makeAgent({
    clock,
    record,
    nextPlan,
    deliver: (job, m) => deliver(job as Cell, m),
  });

  const perform = (cell: Cell, e: JobEffect) => {
    const ref = { ...cell.ref, jobId: cell.jobId };
    if (e.type === "job.assign") return agent.assign(cell, e);
    if (e.type === "job.cancel_on_agent") return agent.cancel(cell, e);
    if (e.type !== "job.transitioned") return;
    const context = cell.snapshot.context;
    if (e.state === "queued") {
      const plan = (cell.run ??= { plan: nextPlan(cell.ref.step), hiccupPlayed: false }).plan;
      const schedule = (at: number): JobMessage => ({
        type: "schedule",
        at,
        workerId: `worker-${++workers}`,
        acceptBy: at + deps.acceptTimeoutMs,
      });
      clock.schedule(e.at + plan.queueMs, "world", () => deliver(cell, schedule(clock.now())));
    } else if (e.state === "running") {
      const planned = cell.run?.plan.outcome ?? "succeeded";
      record({ type: "attempt", at: e.at, ...ref, attempt: context.starts, planned });
    } else if (e.state === "retry_wait" && context.bounces > cell.bounces) {
      // An assignment that bounced (a hiccup): placed again after a short backoff, its run's
      // plan kept; no attempt was used.
      cell.bounces = context.bounces;
    } else if (e.state === "retry_wait") {
      cell.run = null;
      const after = e.result?.error ?? "ended";
      record({ type: "retrying", at: e.at, ...ref, after, until: context.deadline ?? e.at });
    } else if (isTerminalJobState(e.state)) {
      cell.run = null;
      cell.endedAt = e.at;
      live--;
      const result = e.result;
      record({
        type: "job_ended",
        at: e.at,
        ...ref,
        state: e.state as EndedJobState,
        attempts: context.starts,
        message: result?.error ?? null,
        outputs: result?.output ?? null,
      });
      deps.onEnded(cell, e);
    }
  };

  return {
    create: (ref, key, spec) => {
      const jobId = `job-${cells.size + 1}`;
      const input = {
        jobId,
        retry: spec.retry,
        timeoutMs: spec.timeoutMs ?? null,
        cancelGraceMs: deps.cancelGraceMs,
        at: clock.now(),
      };
      const first = driver.initial(input);
      const cell: Cell = {
        jobId,
        ref,
        key,
        maxAttempts: spec.retry.maxAttempts,
        timeoutMs: input.timeoutMs,
        createdAt: input.at,
        snapshot: first.snapshot,
        endedAt: null,
        run: null,
        assignment: null,
        armed: null,
        bounces: 0,
        state: () => String(cell.snapshot.value),
      };
      cells.set(jobId, cell);
      live++;
      byKey.set(key, cell);
      const { maxAttempts, timeoutMs } = cell;
      record({ type: "created", at: input.at, ...ref, jobId, maxAttempts, timeoutMs });
      for (const e of first.effects) perform(cell, e);
      arm(cell);
      return cell;
    },
    byKey: (key) => byKey.get(key),
    byId: (jobId) => cells.get(jobId),
    cancel: (jobId) => {
      const cell = cells.get(jobId);
      if (cell === undefined) return;
      clock.schedule(clock.now(), "world", () =>
        deliver(cell, { type: "cancel", at: clock.now(), reason: "cancelled by its pipeline" }),
      );
    },
    jobs: () => [...cells.values()],
    allEnded: () => live === 0,
  };
};
