/**
 * Hodei's actor kinds, as the supervisor registers them with the generic runtime: each machine
 * of `actors/` with its address kind, its version, where its timer is and how to tell it the
 * timer fired.
 *
 * A version is a hand-kept number plus a hash of the machine's definition, so that a changed
 * state chart cannot silently resume snapshots written by the old one.
 */
import { createHash } from "node:crypto";
import type { AnyStateMachine } from "xstate";
import { jobMachine } from "../../actors/job.ts";
import { makePipelineMachine, type PipelineResolver } from "../../actors/pipeline.ts";
import { workerMachine } from "../../actors/worker.ts";
import { address, type Address } from "../runtime/address.ts";
import { behaviour } from "../runtime/behaviour.ts";

const versionOf = (n: number, machine: AnyStateMachine): string =>
  `${n}:${createHash("sha256").update(JSON.stringify(machine.definition)).digest("hex").slice(0, 12)}`;

export const jobBehaviour = behaviour({
  kind: "job",
  version: versionOf(1, jobMachine),
  // The machine before delayed jobs (`start` and `delayed` states, `runAt` in the context): a
  // snapshot of it is in neither state and never reads `runAt`, so jobs survive the upgrade.
  reads: ["1:87f640d6fa5e"],
  machine: jobMachine,
  deadlineOf: (context) => context.deadline,
  tick: (at) => ({ type: "tick" as const, at }),
  // A queued job waits for the scheduler, which holds all it needs to place it.
  restsIn: ["queued"],
  // Come due, a delayed job is queued whatever happens: placeable before that is committed.
  eagerTicksIn: ["delayed"],
});

export const workerBehaviour = behaviour({
  kind: "worker",
  version: versionOf(1, workerMachine),
  // The machine before `jobs_changed`: the same states and context, so its snapshots run as
  // they are.
  reads: ["1:c81c742d47d1"],
  machine: workerMachine,
  deadlineOf: (context) => context.deadline,
  tick: (at) => ({ type: "tick" as const, at }),
  // A heartbeat only moves the deadline: not worth a commit each. After a crash, recovered
  // workers get a fresh deadline anyway (they wait for their agents to reconnect). A job
  // joining or leaving its list is not worth one either (one each per job run): the job
  // actors' snapshots say where each job is, and recovery hands the worker that list
  // (`jobs_recovered`); so idle/busy, which follows from that list, is volatile too (its
  // announcement only informs). Draining to offline is committed.
  volatile: (m, effects) =>
    m.type === "heartbeat" ||
    ((m.type === "job_assigned" || m.type === "job_finished" || m.type === "jobs_changed") &&
      effects.every(
        (e) => e.type === "worker.transitioned" && (e.state === "idle" || e.state === "busy"),
      )),
});

/**
 * The pipeline actor runs whatever pipeline its run names, found through `resolve`; its own
 * machine does not change with them, and it checks a run's pipeline version itself.
 */
export const pipelineBehaviour = (resolve: PipelineResolver) => {
  const machine = makePipelineMachine(resolve);
  return behaviour({
    kind: "pipeline",
    version: versionOf(1, machine),
    machine,
    deadlineOf: (context) => context.deadline,
    tick: (at) => ({ type: "tick" as const, at }),
    // A step's job became known: not worth a commit each (one per step). Lost in a crash, it
    // comes back the way it came: recovery resumes the run, which submits its running steps
    // again, and their keys find the jobs already created (step-jobs.ts). Its announcement
    // only informs; a step stopped before its job was known (a cancel to carry out) commits.
    volatile: (m, effects) =>
      m.type === "step_started" && effects.every((e) => e.type === "pipeline.transitioned"),
  });
};

export const hodeiBehaviours = { job: jobBehaviour, worker: workerBehaviour } as const;
export type HodeiKinds = typeof hodeiBehaviours;
/** Every kind a supervisor runs: jobs, workers and pipeline runs. */
export type SupervisorKinds = HodeiKinds & {
  readonly pipeline: ReturnType<typeof pipelineBehaviour>;
};

export const jobAddress = (id: string): Address<"job"> => address("job", id);
export const workerAddress = (id: string): Address<"worker"> => address("worker", id);
export const pipelineAddress = (runId: string): Address<"pipeline"> => address("pipeline", runId);
