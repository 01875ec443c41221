/** In-memory PipelineStore and WorkerStore: plain maps, paging as the persistent adapters do. */
import { Effect } from "effect";
import { NotFound } from "../../domain/errors.ts";
import type { PipelineDefinition } from "../../domain/pipeline.ts";
import type { WorkerInfo } from "../../domain/worker.ts";
import { decodeCursor, pageLimit, pageOf } from "../cursor.ts";
import type { PipelineRun, PipelineStore } from "../pipelines.ts";
import type { WorkerStore } from "../workers.ts";

export interface MemoryPipelineStore extends PipelineStore {
  readonly purge: (before: number) => number;
}

export const makeMemoryPipelineStore = (): MemoryPipelineStore => {
  const definitions = new Map<string, PipelineDefinition>();
  const latest = new Map<string, string>();
  const runs = new Map<string, PipelineRun>();
  const keyOf = (name: string, version: string) => `${name}\u0000${version}`;
  return {
    putDefinition: (definition) =>
      Effect.sync(() => {
        const key = keyOf(definition.name, definition.version ?? "");
        definitions.set(key, definition);
        latest.set(definition.name, key);
      }),
    getDefinition: (name, version) =>
      Effect.suspend(() => {
        const key = version === undefined ? latest.get(name) : keyOf(name, version);
        const found = key === undefined ? undefined : definitions.get(key);
        return found === undefined
          ? Effect.fail(
              new NotFound({ kind: "pipeline", id: version ? `${name}@${version}` : name }),
            )
          : Effect.succeed(found);
      }),
    listDefinitions: () =>
      Effect.sync(() =>
        [...latest.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, key]) => definitions.get(key)!),
      ),
    putRun: (run) => Effect.sync(() => void runs.set(run.id, run)),
    getRun: (id) =>
      Effect.suspend(() => {
        const run = runs.get(id);
        return run === undefined
          ? Effect.fail(new NotFound({ kind: "pipelineRun", id }))
          : Effect.succeed(run);
      }),
    listRuns: (filter = {}) =>
      Effect.gen(function* () {
        const after = yield* decodeCursor(filter.cursor);
        const limit = yield* pageLimit(filter.limit);
        const found = [...runs.values()]
          .filter(
            (r) =>
              (after === undefined || r.id > after) &&
              (filter.pipeline === undefined || r.pipeline === filter.pipeline) &&
              (filter.state === undefined || r.state === filter.state),
          )
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit + 1);
        const page = pageOf(found, limit, (r) => r.id);
        return { runs: page.items, next: page.next };
      }),
    purge: (before) => {
      let n = 0;
      for (const [id, run] of runs) {
        if (run.state !== "running" && run.updatedAt < before) {
          runs.delete(id);
          n++;
        }
      }
      return n;
    },
  };
};

export const makeMemoryWorkerStore = (): WorkerStore => {
  const workers = new Map<string, WorkerInfo>();
  return {
    put: (worker) => Effect.sync(() => void workers.set(worker.id, worker)),
    get: (id) =>
      Effect.suspend(() => {
        const w = workers.get(id);
        return w === undefined
          ? Effect.fail(new NotFound({ kind: "worker", id }))
          : Effect.succeed(w);
      }),
    list: () => Effect.sync(() => [...workers.values()].sort((a, b) => (a.id < b.id ? -1 : 1))),
    remove: (id) => Effect.sync(() => void workers.delete(id)),
  };
};
