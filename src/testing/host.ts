/**
 * The simulated supervisor side of one run: the REAL pipeline actor (actors/pipeline.ts, with the
 * runtime's own behaviour and driver), resolving only the pipeline under test, with its mailbox
 * (the clock's `pipeline` lane: messages delivered in order), its timer, and what the API does:
 *
 * - a signal is sent only if the run's machine accepts it now (the API refuses it otherwise);
 * - a cancel is sent while the run is running;
 * - a restart: the actor is persisted, round-tripped through JSON and restored; what was in its
 *   mailbox and in the host's memory is lost; recovery sends `resume`.
 *
 * Its effects are carried out by effects.ts. After every step it records what the trace needs:
 * the steps the machine stopped while their jobs were live (its `runJob` children that went
 * away), and the run's end.
 */
import type { SignalEvent } from "../../actors/pipeline-messages.ts";
import type { PipelineContext, PipelineMessage, PipelineResolver } from "../../actors/pipeline.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { stepChildren } from "../pipeline/run-job.ts";
import { makeStepper } from "../pipeline/stepper.ts";
import { makeDriver } from "../runtime/behaviour.ts";
import { pipelineBehaviour } from "../supervisor/kinds.ts";
import type { VirtualClock } from "./clock.ts";
import { makeHostEffects } from "./effects.ts";
import type { JobTransition, JobWorld, SimJob } from "./jobs.ts";
import type { StepRef, TraceEvent } from "./trace.ts";

/** The pipeline actor for one pipeline: built once, shared by every simulated run. */
export const pipelineActorFor = (pipeline: Pipeline) => {
  const stepper = makeStepper(pipeline.machine);
  const resolve: PipelineResolver = (name) =>
    name === pipeline.name ? { version: pipeline.version, stepper } : undefined;
  return { stepper, driver: makeDriver(pipelineBehaviour(resolve)) };
};
export type PipelineActor = ReturnType<typeof pipelineActorFor>;

export interface RunHost {
  readonly signal: (event: SignalEvent) => void;
  readonly cancel: () => void;
  readonly restart: () => void;
  readonly jobEnded: (job: SimJob, t: JobTransition) => void;
  readonly context: () => PipelineContext;
  readonly done: () => boolean;
  readonly refOf: (key: string) => StepRef | undefined;
}

export interface RunHostDeps {
  readonly actor: PipelineActor;
  readonly pipeline: Pipeline;
  readonly runId: string;
  readonly input: unknown;
  readonly latencyMs: number;
  readonly clock: VirtualClock;
  readonly world: () => JobWorld;
  readonly record: (e: TraceEvent) => void;
}

export const startRunHost = (deps: RunHostDeps): RunHost => {
  const { actor, clock, record, runId } = deps;
  const { driver, stepper } = actor;
  type Snap = ReturnType<typeof driver.initial>["snapshot"];
  let live = new Set<string>();
  let armed: number | null = null;
  let ended = false;
  let snap: Snap;

  const tell = (m: PipelineMessage) => clock.schedule(clock.now(), "pipeline", () => deliver(m));
  const effects = makeHostEffects({ ...deps, tell });
  const stepOf = (key: string) => Object.values(snap.context.steps).find((s) => s.key === key);

  const deliver = (m: PipelineMessage) => {
    if (driver.isDone(snap)) return;
    const ref = "key" in m ? effects.refOf(m.key) : undefined;
    const step = "key" in m ? stepOf(m.key) : undefined;
    if (m.type === "step_finished" && ref && step?.state === "running") {
      const state = m.outcome.ok ? "succeeded" : m.outcome.error.state;
      record({ type: "finished", at: m.at, ...ref, state });
    } else if (m.type === "step_started" && ref && step && step.jobId !== m.jobId) {
      record({ type: "started", at: m.at, ...ref, jobId: m.jobId });
    } else if (m.type === "cancel") record({ type: "cancel", at: m.at });
    after(driver.step(snap, m as never));
  };

  const after = (step: ReturnType<typeof driver.step>) => {
    snap = step.snapshot;
    for (const e of step.effects) effects.perform(e);
    const ctx = snap.context;
    const now = new Set<string>();
    if (ctx.outcome === "running" && ctx.machine !== null) {
      for (const c of stepChildren(ctx.machine.snapshot as never).values()) now.add(c.key);
    }
    for (const key of live) {
      const job = deps.world().byKey(key);
      const ref = effects.refOf(key);
      if (!now.has(key) && ref && !effects.refused(key) && job?.endedAt == null) {
        record({ type: "stopped", at: clock.now(), ...ref, jobId: job?.jobId ?? null });
      }
    }
    live = now;
    if (!ended && driver.isDone(snap)) {
      ended = true;
      const { outcome, reason, output } = ctx;
      record({ type: "run_ended", at: clock.now(), outcome, reason, output });
    }
    arm();
  };

  const arm = () => {
    const d = driver.deadline(snap);
    if (d === null || d === armed || driver.isDone(snap)) return;
    armed = d;
    clock.schedule(d, "pipeline", () => {
      if (armed !== d) return;
      armed = null;
      deliver({ type: "tick", at: clock.now() });
    });
  };

  record({ type: "run_started", at: clock.now(), input: deps.input });
  const input = { runId, pipeline: deps.pipeline.name, version: deps.pipeline.version };
  after(driver.initial({ ...input, input: deps.input, at: clock.now() }));

  return {
    signal: (event) => {
      const ctx = snap.context;
      if (driver.isDone(snap) || ctx.machine === null) return;
      const accepted = stepper.accepts(ctx.machine, event);
      record({ type: "signal", at: clock.now(), event, accepted });
      if (accepted) tell({ type: "signal", at: clock.now(), event });
    },
    cancel: () => {
      if (!driver.isDone(snap))
        tell({ type: "cancel", at: clock.now(), reason: "cancelled on request" });
    },
    restart: () => {
      const text = JSON.stringify(driver.persist(snap));
      snap = driver.restore(JSON.parse(text));
      clock.drop("pipeline");
      clock.drop("host");
      effects.forget();
      armed = null;
      record({ type: "restart", at: clock.now() });
      if (!driver.isDone(snap)) tell({ type: "resume", at: clock.now() });
      arm();
    },
    jobEnded: effects.jobEnded,
    context: () => snap.context,
    done: () => driver.isDone(snap),
    refOf: effects.refOf,
  };
};
