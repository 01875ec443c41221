/**
 * Pipelines in the supervisor: starts runs (run-commands.ts), carries out the pipeline actors'
 * effects (step jobs: step-jobs.ts; run records: run-writer.ts), tells runs when their jobs
 * end, and recovers them at start: declarative definitions from the store, then every run that
 * was running — resumed, started if it never was, or its record completed if it had ended.
 */
import { Effect, Either } from "effect";
import type { Bus } from "../bus/index.ts";
import type { PipelineContext, PipelineEffect, PipelineMessage } from "../../actors/pipeline.ts";
import type { InvalidInput, NotFound } from "../domain/errors.ts";
import type { PipelineRunId } from "../domain/ids.ts";
import type { CreateResult, StagedJob, Store, StoreError } from "../persistence/index.ts";
import { compileDefinition } from "../pipeline/declarative.ts";
import type { PipelineRegistry } from "../pipeline/pipeline.ts";
import type { Stepper } from "../domain/pipeline-machine.ts";
import { makeStepper } from "../pipeline/stepper.ts";
import type { PipelineResolver } from "../../actors/pipeline.ts";
import { pipelineAddress, type SupervisorKinds } from "./kinds.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { makeStepJobs } from "./step-jobs.ts";
import { runEvents } from "./topics.ts";
import { currentRun } from "./run-view.ts";
import { makeRunCommands } from "./run-commands.ts";
import { makeRunWriter } from "./run-writer.ts";

export interface PipelineHostDeps {
  readonly registry: PipelineRegistry;
  readonly store: Store;
  readonly bus: Bus;
  readonly system: () => ActorSystem<SupervisorKinds>;
  readonly submitStep: (
    spec: unknown,
    step: { readonly runId: PipelineRunId; readonly step: string },
  ) => Effect.Effect<CreateResult, InvalidInput | StoreError>;
  /** A step's job decoded and placed, to create in the commit of its run (step-jobs.ts). */
  readonly stageStep: (
    spec: unknown,
    step: { readonly runId: PipelineRunId; readonly step: string },
  ) => StagedJob | undefined;
  /** A staged job once that commit ended: made live (or created the usual way). */
  readonly stagedCreated: (staged: StagedJob) => Effect.Effect<CreateResult, StoreError>;
  readonly cancelJob: (jobId: string) => Effect.Effect<void, NotFound>;
}

export const makePipelineHost = (deps: PipelineHostDeps) => {
  const { registry, store } = deps;
  const steppers = new WeakMap<object, Stepper>();
  const resolve: PipelineResolver = (name, version) => {
    const p = registry.get(name, version) ?? registry.get(name);
    if (p === undefined) return undefined;
    let stepper = steppers.get(p);
    if (stepper === undefined) steppers.set(p, (stepper = makeStepper(p.machine)));
    return { version: p.version, stepper };
  };
  const tell = (runId: string, message: PipelineMessage) =>
    deps.system().send(pipelineAddress(runId), message);
  const contextOf = (runId: string) =>
    deps
      .system()
      .snapshot(pipelineAddress(runId))
      .pipe(Effect.map((s) => s?.context as PipelineContext | undefined));
  const writer = makeRunWriter(
    (runId) =>
      contextOf(runId).pipe(
        Effect.map((ctx) =>
          ctx === undefined ? undefined : currentRun(ctx, registry, deps.system().now()),
        ),
      ),
    (run) => store.pipelines.putRun(run),
  );
  const commands = makeRunCommands({
    registry,
    store,
    system: deps.system,
    resolve,
    contextOf,
  });
  const waiters = new Map<string, Array<() => void>>();
  const steps = makeStepJobs({
    store,
    submitStep: deps.submitStep,
    stageStep: deps.stageStep,
    stagedCreated: deps.stagedCreated,
    cancelJob: deps.cancelJob,
    tell,
    now: () => deps.system().now(),
  });
  return {
    resolve,
    /** The jobs of a round's step submits, to create in the round's commit. */
    stage: (effects: ReadonlyArray<readonly [string, unknown]>): ReadonlyArray<StagedJob> => {
      const staged: StagedJob[] = [];
      for (const [from, e] of effects) {
        const effect = e as PipelineEffect;
        if (from.startsWith("pipeline/") && effect.type === "pipeline.submit") {
          const s = steps.stage(effect);
          if (s !== undefined) staged.push(s);
        }
      }
      return staged;
    },
    /** Performs a pipeline actor's effect (after its commit). */
    onEffect: (effect: PipelineEffect): void => {
      switch (effect.type) {
        case "pipeline.submit":
          writer.track(Effect.runPromise(steps.submit(effect)));
          return;
        case "pipeline.cancel_step":
          writer.track(Effect.runPromise(steps.cancel(effect.runId, effect.key, effect.jobId)));
          return;
        case "pipeline.transitioned": {
          writer.dirty(effect.runId, effect.state !== "running");
          deps.bus.tryPublish(runEvents, {
            runId: effect.runId,
            state: effect.state,
            at: effect.at,
          });
          if (effect.state === "running") return;
          const waiting = waiters.get(effect.runId);
          waiters.delete(effect.runId);
          for (const w of waiting ?? []) w();
          return;
        }
      }
    },
    /** A job ended: if it is a step's, its run is told (unless it was relayed). */
    onJobFinished: steps.jobFinished,
    /** A job is ending in this round: if it is a step's, its live run is told in the round. */
    relayJobFinished: steps.relayFinished,
    ...commands,
    /** At start: actors from their snapshots, runs recorded but never started, and records. */
    recover: Effect.gen(function* () {
      // Declarative pipelines registered through the API, before the runs that use them.
      for (const def of yield* store.pipelines.listDefinitions().pipe(Effect.orDie)) {
        const registered = Either.flatMap(compileDefinition(def), registry.register);
        if (Either.isLeft(registered))
          yield* Effect.logWarning(
            `stored pipeline ${def.name} not loaded: ${registered.left.message}`,
          );
      }
      const system = deps.system();
      yield* system.recover("pipeline");
      let cursor: string | undefined;
      do {
        const page = yield* store.pipelines
          .listRuns({ state: "running", limit: 500, ...(cursor ? { cursor } : {}) })
          .pipe(Effect.orDie);
        for (const run of page.runs) {
          const ctx = yield* contextOf(run.id);
          if (ctx === undefined) {
            const input = {
              runId: run.id,
              pipeline: run.pipeline,
              version: run.version,
              input: run.input,
              at: system.now(),
            };
            yield* Effect.ignore(system.spawn(pipelineAddress(run.id), input));
          } else if (ctx.outcome !== "running") {
            // Ended before the restart: its record, and the cancels of its stopped steps, may
            // not have been carried out.
            writer.dirty(run.id);
            for (const step of Object.values(ctx.steps))
              if (step.state === "cancelled") yield* steps.cancel(run.id, step.key, step.jobId);
          } else tell(run.id, { type: "resume", at: system.now() });
        }
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
    }),
    /** The run once it has finished (at once if it has). */
    finished: (runId: string) =>
      Effect.gen(function* () {
        const run = yield* commands.get(runId);
        if (run.state !== "running") return run;
        yield* Effect.async<void>((resume) => {
          const list = waiters.get(runId) ?? [];
          list.push(() => resume(Effect.void));
          waiters.set(runId, list);
        });
        return yield* commands.get(runId);
      }),
    /** Waits for submits in flight and run records not yet written. */
    settled: writer.settled,
  };
};

export type PipelineHost = ReturnType<typeof makePipelineHost>;
