/**
 * Pipelines in the supervisor: starts runs, carries out the pipeline actors' effects, and tells
 * them when their jobs end.
 *
 * A step's job is created with the idempotency key `pipeline/<runId>/<key>`, so submitting it
 * again (after a crash between the actor's commit and the submit, or at recovery) finds the same
 * job, and a finished job names the run and step it belongs to without any table in memory.
 * Run records are the actors' summaries, written after their commits, coalesced per run.
 */
import { Effect, Either, Schedule } from "effect";
import type { JobEffect } from "../../actors/job.ts";
import type { Bus } from "../bus/index.ts";
import type { PipelineContext, PipelineEffect, PipelineMessage } from "../../actors/pipeline.ts";
import type { InvalidInput, NotFound } from "../domain/errors.ts";
import type { PipelineRunId } from "../domain/ids.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import { isTerminalJobState } from "../domain/job-state.ts";
import type { CreateResult, Store, StoreError } from "../persistence/index.ts";
import { validatePipeline } from "../domain/pipeline.ts";
import { compileDefinition } from "../pipeline/declarative.ts";
import type { PipelineRegistry } from "../pipeline/pipeline.ts";
import { makeStepper, type Stepper } from "../pipeline/stepper.ts";
import type { PipelineResolver } from "../../actors/pipeline.ts";
import { pipelineAddress, type SupervisorKinds } from "../runtime/kinds.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { runEvents } from "./topics.ts";
import { outcomeOf, runOf, stepNameOf } from "./run-view.ts";
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
  readonly cancelJob: (jobId: string) => Effect.Effect<void, NotFound>;
}

const keyPrefix = "pipeline/";
export const stepJobKey = (runId: string, key: string): string => `${keyPrefix}${runId}/${key}`;

/** The run and step key of a pipeline step's job, from its idempotency key. */
const stepOfKey = (idempotencyKey: string | undefined) => {
  if (idempotencyKey === undefined || !idempotencyKey.startsWith(keyPrefix)) return undefined;
  const rest = idempotencyKey.slice(keyPrefix.length);
  const slash = rest.indexOf("/");
  return slash < 0 ? undefined : { runId: rest.slice(0, slash), key: rest.slice(slash + 1) };
};

export const makePipelineHost = (deps: PipelineHostDeps) => {
  const { registry, store } = deps;
  const steppers = new WeakMap<object, Stepper>();
  const resolve: PipelineResolver = (name) => {
    const p = registry.get(name);
    if (p === undefined) return undefined;
    let stepper = steppers.get(p);
    if (stepper === undefined) steppers.set(p, (stepper = makeStepper(p.machine)));
    return { version: p.version, stepper };
  };
  const tell = (runId: string, message: PipelineMessage) => {
    const system = deps.system();
    if (!system.offer(pipelineAddress(runId), message))
      Effect.runFork(Effect.ignore(system.tell(pipelineAddress(runId), message)));
  };
  const contextOf = (runId: string) =>
    deps
      .system()
      .snapshot(pipelineAddress(runId))
      .pipe(Effect.map((s) => s?.context as PipelineContext | undefined));
  const writer = makeRunWriter(
    (runId) =>
      contextOf(runId).pipe(
        Effect.map((ctx) =>
          ctx === undefined ? undefined : runOf(ctx, registry.get(ctx.pipeline), Date.now()),
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
  // Keys cancelled before their job was known: cancelled as soon as it is.
  const cancelledKeys = new Set<string>();

  const submit = (e: Extract<PipelineEffect, { type: "pipeline.submit" }>) => {
    const spec = {
      name: stepNameOf(e.step),
      ...e.spec,
      idempotencyKey: stepJobKey(e.runId, e.key),
    };
    const step = { runId: e.runId as PipelineRunId, step: stepNameOf(e.step) };
    return deps.submitStep(spec, step).pipe(
      Effect.retry({
        while: (x) => x._tag === "StoreError",
        schedule: Schedule.exponential(50),
        times: 5,
      }),
      Effect.match({
        onFailure: (x) =>
          tell(e.runId, {
            type: "step_finished",
            at: Date.now(),
            key: e.key,
            outcome: {
              ok: false,
              error: { jobId: null, state: "invalid", message: x.message, exitCode: null },
            },
          }),
        onSuccess: ({ job }) => {
          tell(e.runId, { type: "step_started", at: Date.now(), key: e.key, jobId: job.id });
          if (isTerminalJobState(job.state)) {
            const outcome = outcomeOf(job.id, job.state, job.result);
            tell(e.runId, { type: "step_finished", at: Date.now(), key: e.key, outcome });
          } else if (cancelledKeys.delete(stepJobKey(e.runId, e.key))) {
            Effect.runFork(Effect.ignore(deps.cancelJob(job.id)));
          }
        },
      }),
    );
  };

  return {
    resolve,
    /** Performs a pipeline actor's effect (after its commit). */
    onEffect: (effect: PipelineEffect): void => {
      switch (effect.type) {
        case "pipeline.submit":
          writer.track(Effect.runPromise(submit(effect)));
          return;
        case "pipeline.cancel_step":
          if (effect.jobId !== null) Effect.runFork(Effect.ignore(deps.cancelJob(effect.jobId)));
          else cancelledKeys.add(stepJobKey(effect.runId, effect.key));
          return;
        case "pipeline.transitioned": {
          writer.dirty(effect.runId);
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
    /** A job ended: if it is a step's, its run is told. */
    onJobFinished: (
      spec: JobSpec | undefined,
      effect: Extract<JobEffect, { type: "job.transitioned" }>,
    ): void => {
      const step = stepOfKey(spec?.idempotencyKey);
      if (step === undefined) return;
      const outcome = outcomeOf(effect.jobId, effect.state, effect.result);
      tell(step.runId, { type: "step_finished", at: effect.at, key: step.key, outcome });
    },
    ...commands,
    /** At start: actors from their snapshots, runs recorded but never started, and records. */
    recover: Effect.gen(function* () {
      // Declarative pipelines registered through the API, before the runs that use them.
      for (const def of yield* store.pipelines.listDefinitions().pipe(Effect.orDie)) {
        const compiled = Either.flatMap(validatePipeline(def), compileDefinition);
        const registered = Either.flatMap(compiled, registry.register);
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
          } else if (ctx.outcome !== "running") writer.dirty(run.id);
          else tell(run.id, { type: "resume", at: system.now() });
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
