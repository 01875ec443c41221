/**
 * LMDB PipelineStore and WorkerStore: small records under their ids (layout.ts), decoded with
 * their schemas when read back.
 */
import { Effect, Schema } from "effect";
import type { RootDatabase } from "lmdb";
import { NotFound } from "../../domain/errors.ts";
import { PipelineDefinition } from "../../domain/pipeline.ts";
import { WorkerInfo } from "../../domain/worker.ts";
import { decodeCursor, pageLimit, pageOf } from "../cursor.ts";
import { storeError, type StoreError } from "../errors.ts";
import { PipelineRun, type PipelineStore } from "../pipelines.ts";
import type { WorkerStore } from "../workers.ts";
import { present, skipCorrupt, type Quarantine } from "../quarantine.ts";
import type { Durable } from "./durable.ts";
import type { Databases } from "./layout.ts";

const decoder =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (operation: string, u: unknown) =>
    Effect.mapError(Schema.decodeUnknown(schema)(u), storeError(operation));

/** The decoded record, or NotFound when there is none (made only then: it takes a stack). */
const found = <A>(
  u: unknown,
  missing: () => NotFound,
  decode: (u: unknown) => Effect.Effect<A, StoreError>,
): Effect.Effect<A, NotFound | StoreError> =>
  u === undefined ? Effect.fail(missing()) : decode(u);

const definition = decoder(PipelineDefinition);
const run = decoder(PipelineRun);
const worker = decoder(WorkerInfo);

export const makeLmdbPipelineStore = (
  root: RootDatabase,
  dbs: Databases,
  durable: Durable,
  quarantine: Quarantine,
): PipelineStore => ({
  putDefinition: (def) =>
    durable("pipelines.putDefinition", () =>
      root.transaction(() => {
        void dbs.pipelines.put([def.name, def.version ?? ""], def);
        void dbs.pipelinesLatest.put(def.name, def.version ?? "");
      }),
    ),
  getDefinition: (name, version) =>
    Effect.suspend(() => {
      const v = version ?? dbs.pipelinesLatest.get(name);
      const u = v === undefined ? undefined : dbs.pipelines.get([name, v]);
      const missing = () =>
        new NotFound({ kind: "pipeline", id: version ? `${name}@${version}` : name });
      return found(u, missing, (x) => definition("pipelines.getDefinition", x));
    }),
  listDefinitions: () =>
    Effect.suspend(() =>
      Effect.forEach([...dbs.pipelinesLatest.getRange({})], ({ key, value }) =>
        skipCorrupt(
          quarantine,
          "definition",
          `${key}@${value}`,
          definition("pipelines.listDefinitions", dbs.pipelines.get([key, value])),
        ),
      ).pipe(Effect.map(present)),
    ),
  putRun: (r) => durable("pipelines.putRun", () => dbs.runs.put(r.id, r)).pipe(Effect.asVoid),
  getRun: (id) =>
    Effect.suspend(() => {
      const u = dbs.runs.get(id);
      return found(
        u,
        () => new NotFound({ kind: "pipelineRun", id }),
        (x) => run("pipelines.getRun", x),
      );
    }),
  listRuns: (filter = {}) =>
    Effect.gen(function* () {
      const from = yield* decodeCursor(filter.cursor);
      const limit = yield* pageLimit(filter.limit);
      const runs: PipelineRun[] = [];
      for (const { key, value } of dbs.runs.getRange({ start: from ?? "" })) {
        if (key === from) continue;
        const r = yield* skipCorrupt(quarantine, "run", key, run("pipelines.listRuns", value));
        if (r === undefined) continue;
        if (
          (filter.pipeline === undefined || r.pipeline === filter.pipeline) &&
          (filter.state === undefined || r.state === filter.state)
        ) {
          runs.push(r);
        }
        if (runs.length > limit) break;
      }
      const page = pageOf(runs, limit, (r) => r.id);
      return { runs: page.items, next: page.next };
    }),
});

export const makeLmdbWorkerStore = (dbs: Databases, durable: Durable): WorkerStore => ({
  put: (w) => durable("workers.put", () => dbs.workers.put(w.id, w)).pipe(Effect.asVoid),
  get: (id) =>
    Effect.suspend(() => {
      const u = dbs.workers.get(id);
      return found(
        u,
        () => new NotFound({ kind: "worker", id }),
        (x) => worker("workers.get", x),
      );
    }),
  list: () =>
    Effect.suspend(() =>
      Effect.forEach([...dbs.workers.getRange({})], ({ value }) => worker("workers.list", value)),
    ),
  remove: (id) => durable("workers.remove", () => dbs.workers.remove(id)).pipe(Effect.asVoid),
});
