/**
 * What callers do to pipeline runs: start one, read it, cancel it, signal it. Each checks what
 * it can before it changes anything: an unknown pipeline or run is NotFound, a finished run is a
 * Conflict, and a signal the run's machine would ignore in its current state is refused (a
 * Conflict naming the state) rather than silently dropped.
 */
import { Effect } from "effect";
import { initialContext, type PipelineContext } from "../../actors/pipeline-run.ts";
import type { PipelineMessage, SignalEvent } from "../../actors/pipeline-messages.ts";
import type { PipelineResolver } from "../../actors/pipeline.ts";
import { Conflict, InvalidInput, NotFound } from "../domain/errors.ts";
import { newPipelineRunId, type PipelineRunId } from "../domain/ids.ts";
import type { Store, StoreError } from "../persistence/index.ts";
import type { PipelineRun } from "../persistence/pipelines.ts";
import type { PipelineRegistry } from "../pipeline/pipeline.ts";
import { pipelineAddress, type SupervisorKinds } from "./kinds.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { currentRun, runOf } from "./run-view.ts";

export interface RunCommandDeps {
  readonly registry: PipelineRegistry;
  readonly store: Store;
  readonly system: () => ActorSystem<SupervisorKinds>;
  readonly resolve: PipelineResolver;
  readonly contextOf: (runId: string) => Effect.Effect<PipelineContext | undefined, StoreError>;
}

const reserved = (type: string) =>
  new InvalidInput({
    message: `signal type "${type}" is reserved`,
    issues: [{ path: "type", message: "the prefixes xstate. and hodei. are reserved" }],
  });

export const makeRunCommands = (deps: RunCommandDeps) => {
  const { registry, store, contextOf } = deps;
  const now = () => deps.system().now();
  // Answered once the run's next state is committed, so what the caller reads next shows it.
  const settle = (runId: string, message: PipelineMessage) =>
    deps
      .system()
      .ask(pipelineAddress(runId), message)
      .pipe(
        Effect.catchAll(() => Effect.fail(new Conflict({ message: `run ${runId} is not live` }))),
      );
  return {
    /** Records the run (durable: what the 201 promises), then starts its actor. */
    start: (
      name: string,
      input: unknown,
      /** A run id chosen by the caller (a schedule's firing: the same id every time it retries). */
      runId?: PipelineRunId,
    ): Effect.Effect<PipelineRun, NotFound | StoreError> =>
      Effect.gen(function* () {
        const p = registry.get(name);
        if (p === undefined)
          return yield* Effect.fail(new NotFound({ kind: "pipeline", id: name }));
        const at = now();
        const start = {
          runId: runId ?? newPipelineRunId(at),
          pipeline: name,
          version: p.version,
          input,
          at,
        };
        const run = runOf(initialContext(start), p, at);
        yield* store.pipelines.putRun(run);
        // A crash before the actor's first commit leaves the record: recovery starts it then.
        yield* deps.system().spawn(pipelineAddress(start.runId), start).pipe(Effect.orDie);
        return run;
      }),
    /** The run as it is now: from its live actor while it runs, else as stored. */
    get: (runId: string): Effect.Effect<PipelineRun, NotFound | StoreError> =>
      Effect.gen(function* () {
        const stored = yield* store.pipelines.getRun(runId);
        if (stored.state !== "running") return stored;
        const ctx = yield* contextOf(runId);
        if (ctx === undefined) return stored;
        const run = currentRun(ctx, registry, deps.system().now());
        const machine = ctx.outcome === "running" ? ctx.machine : null;
        const signals =
          machine === null
            ? []
            : (deps.resolve(ctx.pipeline, ctx.version)?.stepper.signals(machine) ?? []);
        return signals.length > 0 ? { ...run, signals } : run;
      }),
    cancel: (runId: string): Effect.Effect<void, NotFound | Conflict | StoreError> =>
      Effect.gen(function* () {
        const run = yield* store.pipelines.getRun(runId);
        const state = (yield* contextOf(runId))?.outcome ?? run.state;
        if (state !== "running")
          return yield* Effect.fail(new Conflict({ message: `run ${runId} already ${state}` }));
        yield* settle(runId, { type: "cancel", at: now(), reason: "cancelled on request" });
      }),
    signal: (
      runId: string,
      event: SignalEvent,
    ): Effect.Effect<void, NotFound | Conflict | InvalidInput | StoreError> =>
      Effect.gen(function* () {
        if (event.type.startsWith("xstate.") || event.type.startsWith("hodei."))
          return yield* Effect.fail(reserved(event.type));
        yield* store.pipelines.getRun(runId);
        const ctx = yield* contextOf(runId);
        if (ctx === undefined || ctx.outcome !== "running" || ctx.machine === null)
          return yield* Effect.fail(
            new Conflict({ message: `run ${runId} is ${ctx?.outcome ?? "not running"}` }),
          );
        const r = deps.resolve(ctx.pipeline, ctx.version);
        if (r === undefined || !r.stepper.accepts(ctx.machine, event)) {
          const value = JSON.stringify(ctx.machine.snapshot.value);
          return yield* Effect.fail(
            new Conflict({
              message: `run ${runId} is in state ${value}, which does not accept the signal "${event.type}"`,
            }),
          );
        }
        yield* settle(runId, { type: "signal", at: now(), event });
      }),
  };
};
