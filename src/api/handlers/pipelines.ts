/**
 * The pipeline routes: the pipelines this supervisor runs (from code, or registered here as a
 * declarative definition), and their runs: start one, read it with each step's state, list,
 * cancel, and signal (an event for the run's machine, such as an approval).
 */
import { Effect } from "effect";
import { compileDefinition } from "../../pipeline/declarative.ts";
import type { Pipeline } from "../../pipeline/pipeline.ts";
import { notFound } from "../errors.ts";
import type { PipelineSummary } from "../pipeline-schemas.ts";
import type { Handlers } from "../router.ts";
import { shuttingDown, type ApiContext } from "./context.ts";

type Names =
  | "listPipelines"
  | "registerPipeline"
  | "getPipeline"
  | "startRun"
  | "listRuns"
  | "getRun"
  | "cancelRun"
  | "signalRun";

export const summaryOf = (p: Pipeline): PipelineSummary => ({
  name: p.name,
  version: p.version,
  source: p.source === undefined ? "code" : "declarative",
  ...(p.plan ? { steps: p.plan.map((s) => ({ name: s.name, needs: [...s.needs] })) } : {}),
});

export const pipelineHandlers = (ctx: ApiContext): Pick<Handlers, Names> => {
  const { core } = ctx;
  const { pipelines, registry } = core;
  const accepting = () => (ctx.accepting() ? Effect.void : Effect.fail(shuttingDown()));
  return {
    listPipelines: () =>
      Effect.succeed({ status: 200, body: { pipelines: registry.list().map(summaryOf) } }),
    registerPipeline: ({ payload }) =>
      Effect.gen(function* () {
        const def = yield* compileDefinition(payload);
        const registered = yield* registry.register(def);
        yield* core.runs.keepDefinition(payload);
        return { status: 201, body: summaryOf(registered) };
      }),
    getPipeline: ({ path }) => {
      const p = registry.get(path.name);
      return p === undefined
        ? Effect.fail(notFound("pipeline", path.name))
        : Effect.succeed({ status: 200, body: summaryOf(p) });
    },
    startRun: ({ path, payload }) =>
      accepting().pipe(
        Effect.zipRight(pipelines.start(path.name, payload.input ?? null)),
        Effect.map((run) => ({
          status: 201,
          body: run,
          headers: { location: `/api/v1/runs/${run.id}` },
        })),
      ),
    listRuns: ({ query }) =>
      Effect.map(core.runs.list(query), (page) => ({ status: 200, body: page })),
    getRun: ({ path }) => Effect.map(pipelines.get(path.id), (run) => ({ status: 200, body: run })),
    cancelRun: ({ path }) =>
      pipelines.cancel(path.id).pipe(
        Effect.zipRight(pipelines.get(path.id)),
        Effect.map((run) => ({ status: 202, body: run })),
      ),
    signalRun: ({ path, payload }) =>
      pipelines.signal(path.id, payload).pipe(
        Effect.zipRight(pipelines.get(path.id)),
        Effect.map((run) => ({ status: 202, body: run })),
      ),
  };
};
