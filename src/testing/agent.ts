/**
 * The simulated agent: what happens to an assignment of a job, played from the scenario's plan
 * for that run. The job actor decides everything else; this only sends it what an agent and a
 * worker would, with the assignment's attempt number and the clock's time:
 *
 * - a hiccup first, if the plan has one: the agent declines the assignment (`rejected`), or the
 *   worker is lost before the start; the job goes back to `queued` and the plan is kept for the
 *   next assignment (a hiccup uses no attempt of the retry policy);
 * - `started` after `startMs`, then the end `durationMs` later: `succeeded` with the plan's
 *   outputs, `failed` with its exit code, or the worker's loss; `timed_out` at `timeoutMs` when
 *   the job has one and the run is longer, or the plan says so;
 * - told to cancel, the agent kills the process: it reports nothing more about that run, and
 *   confirms `cancelled` after `stopMs` (the job's grace timer may end it first).
 */
import type { JobEffect, JobMessage } from "../../actors/job.ts";
import type { VirtualClock } from "./clock.ts";
import type { AttemptPlan } from "./scenario.ts";
import type { StepRef, TraceEvent } from "./trace.ts";

/** The part of a simulated job the agent reads and keeps its notes in. */
export interface AgentJob {
  readonly jobId: string;
  readonly ref: StepRef;
  readonly timeoutMs: number | null;
  /** The plan of the run being placed or running. */
  run: { readonly plan: AttemptPlan; hiccupPlayed: boolean } | null;
  assignment: { readonly attempt: number; readonly workerId: string; killed: boolean } | null;
  readonly state: () => string;
}

export interface AgentDeps {
  readonly clock: VirtualClock;
  readonly record: (e: TraceEvent) => void;
  readonly deliver: (job: AgentJob, message: JobMessage) => void;
  readonly nextPlan: (step: string) => AttemptPlan;
}

type Report = (at: number) => JobMessage;

/** How the run ends, and how long after its start. */
const endOf = (plan: AttemptPlan, timeoutMs: number | null, attempt: number, workerId: string) => {
  if (timeoutMs !== null && (plan.outcome === "timed_out" || plan.durationMs > timeoutMs)) {
    return { after: timeoutMs, report: ((at) => ({ type: "timed_out", at, attempt })) as Report };
  }
  const reports: Record<AttemptPlan["outcome"], Report> = {
    succeeded: (at) => ({ type: "succeeded", at, attempt, exitCode: 0, output: plan.outputs }),
    failed: (at) => ({
      type: "failed",
      at,
      attempt,
      exitCode: plan.exitCode,
      error: `exit code ${plan.exitCode}`,
    }),
    // No timeoutMs: nothing on the agent can time it out; something else killed it.
    timed_out: (at) => ({ type: "failed", at, attempt, exitCode: 137, error: "killed" }),
    worker_lost: (at) => ({ type: "worker_lost", at, workerId }),
  };
  return { after: plan.durationMs, report: reports[plan.outcome] };
};

export const makeAgent = (deps: AgentDeps) => {
  const { clock, record } = deps;

  const send = (job: AgentJob, at: number, report: Report, then?: () => void) => {
    const assignment = job.assignment;
    clock.schedule(at, "world", () => {
      const m = report(clock.now());
      // A killed process reports nothing more; the agent only confirms the kill.
      if (assignment?.killed === true && m.type !== "cancelled") return;
      deps.deliver(job, m);
      then?.();
    });
  };

  const assign = (job: AgentJob, e: Extract<JobEffect, { type: "job.assign" }>) => {
    const a = { attempt: e.attempt, workerId: e.workerId, killed: false };
    job.assignment = a;
    const run = (job.run ??= { plan: deps.nextPlan(job.ref.step), hiccupPlayed: false });
    const { plan } = run;
    const start = clock.now() + plan.startMs;
    if (plan.hiccup !== "none" && !run.hiccupPlayed) {
      run.hiccupPlayed = true;
      const rejected = plan.hiccup === "rejected";
      const reason = rejected ? "declined by the agent" : "worker lost before the start";
      const back: Report = (at) =>
        rejected
          ? { type: "rejected", at, attempt: a.attempt, reason }
          : { type: "worker_lost", at, workerId: a.workerId };
      send(job, start, back, () => {
        // Bounced: back to the queue after a short backoff, no attempt used.
        if (job.state() !== "retry_wait") return;
        record({ type: "requeued", at: clock.now(), ...job.ref, jobId: job.jobId, reason });
      });
      return;
    }
    send(job, start, (at) => ({ type: "started", at, attempt: a.attempt }));
    const end = endOf(plan, job.timeoutMs, a.attempt, a.workerId);
    send(job, start + end.after, end.report);
  };

  const cancel = (job: AgentJob, e: Extract<JobEffect, { type: "job.cancel_on_agent" }>) => {
    if (job.assignment?.attempt === e.attempt) job.assignment.killed = true;
    const stopMs = job.run?.plan.stopMs ?? 0;
    send(job, clock.now() + stopMs, (at) => ({ type: "cancelled", at, attempt: e.attempt }));
  };

  return { assign, cancel };
};
