/** PostgreSQL PipelineStore and WorkerStore: one row per record, decoded when read back. */
import { Effect, Schema } from "effect";
import { sql, type Kysely } from "kysely";
import { NotFound } from "../../domain/errors.ts";
import { PipelineDefinition } from "../../domain/pipeline.ts";
import { WorkerInfo } from "../../domain/worker.ts";
import { decodeCursor, pageLimit, pageOf } from "../cursor.ts";
import { storeError, type StoreError } from "../errors.ts";
import { PipelineRun, type PipelineStore } from "../pipelines.ts";
import type { WorkerStore } from "../workers.ts";
import type { Database } from "./tables.ts";
import { present, skipCorrupt, type Quarantine } from "../quarantine.ts";

const decoder =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (operation: string) =>
  (u: unknown): Effect.Effect<A, StoreError> =>
    Effect.mapError(Schema.decodeUnknown(schema)(u), storeError(operation));

const query = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: storeError(operation) });

const orNotFound =
  <A>(missing: () => NotFound, decode: (u: unknown) => Effect.Effect<A, StoreError>) =>
  (u: unknown): Effect.Effect<A, NotFound | StoreError> =>
    u === undefined ? Effect.fail(missing()) : decode(u);

const definition = decoder(PipelineDefinition);
const run = decoder(PipelineRun);
const worker = decoder(WorkerInfo);

const runOfRow = (r: {
  id: string;
  pipeline: string;
  version: string;
  state: string;
  created_at: number;
  updated_at: number;
  jobs: unknown;
  details: unknown;
}) => ({
  ...(typeof r.details === "object" && r.details !== null ? r.details : {}),
  id: r.id,
  pipeline: r.pipeline,
  version: r.version,
  state: r.state,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  jobs: r.jobs,
});

export const makePostgresPipelineStore = (
  db: Kysely<Database>,
  committed: () => void,
  quarantine: Quarantine,
): PipelineStore => ({
  putDefinition: (def) =>
    query("pipelines.putDefinition", () => {
      committed();
      return db
        .insertInto("pipeline_definitions")
        .values({ name: def.name, version: def.version ?? "", definition: JSON.stringify(def) })
        .onConflict((oc) =>
          oc.columns(["name", "version"]).doUpdateSet({
            definition: (eb) => eb.ref("excluded.definition"),
            stored_seq: sql`default` as never,
          }),
        )
        .execute();
    }).pipe(Effect.asVoid),
  getDefinition: (name, version) =>
    query("pipelines.getDefinition", () => {
      let q = db.selectFrom("pipeline_definitions").select("definition").where("name", "=", name);
      q =
        version === undefined
          ? q.orderBy("stored_seq", "desc").limit(1)
          : q.where("version", "=", version);
      return q.executeTakeFirst();
    }).pipe(
      Effect.flatMap((row) =>
        orNotFound(
          () => new NotFound({ kind: "pipeline", id: version ? `${name}@${version}` : name }),
          definition("pipelines.getDefinition"),
        )(row?.definition),
      ),
    ),
  listDefinitions: () =>
    query("pipelines.listDefinitions", () =>
      db
        .selectFrom("pipeline_definitions")
        .select("definition")
        .distinctOn("name")
        .orderBy("name")
        .orderBy("stored_seq", "desc")
        .execute(),
    ).pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (r) =>
          skipCorrupt(
            quarantine,
            "definition",
            String((r.definition as { name?: unknown } | null)?.name),
            definition("pipelines.listDefinitions")(r.definition),
          ),
        ).pipe(Effect.map(present)),
      ),
    ),
  putRun: (r) =>
    query("pipelines.putRun", () => {
      committed();
      const row = {
        id: r.id,
        pipeline: r.pipeline,
        version: r.version,
        state: r.state,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
        jobs: JSON.stringify(r.jobs),
        details: JSON.stringify({
          ...(r.input !== undefined ? { input: r.input } : {}),
          ...(r.reason !== undefined ? { reason: r.reason } : {}),
          ...(r.output !== undefined ? { output: r.output } : {}),
          ...(r.steps !== undefined ? { steps: r.steps } : {}),
        }),
      };
      return db
        .insertInto("pipeline_runs")
        .values(row)
        .onConflict((oc) => oc.column("id").doUpdateSet(row))
        .execute();
    }).pipe(Effect.asVoid),
  getRun: (id) =>
    query("pipelines.getRun", () =>
      db.selectFrom("pipeline_runs").selectAll().where("id", "=", id).executeTakeFirst(),
    ).pipe(
      Effect.flatMap((row) =>
        orNotFound(
          () => new NotFound({ kind: "pipelineRun", id }),
          run("pipelines.getRun"),
        )(row === undefined ? undefined : runOfRow(row)),
      ),
    ),
  listRuns: (filter = {}) =>
    Effect.gen(function* () {
      const after = yield* decodeCursor(filter.cursor);
      const limit = yield* pageLimit(filter.limit);
      let q = db
        .selectFrom("pipeline_runs")
        .selectAll()
        .orderBy("id")
        .limit(limit + 1);
      if (after !== undefined) q = q.where("id", ">", after);
      if (filter.pipeline !== undefined) q = q.where("pipeline", "=", filter.pipeline);
      if (filter.state !== undefined) q = q.where("state", "=", filter.state);
      const rows = yield* query("pipelines.listRuns", () => q.execute());
      const page = pageOf(rows, limit, (r) => r.id);
      const runs = yield* Effect.forEach(page.items, (r) =>
        skipCorrupt(quarantine, "run", r.id, run("pipelines.listRuns")(runOfRow(r))),
      );
      return { runs: present(runs), next: page.next };
    }),
});

export const makePostgresWorkerStore = (
  db: Kysely<Database>,
  committed: () => void,
): WorkerStore => ({
  put: (w) =>
    query("workers.put", () => {
      committed();
      const row = { id: w.id, info: JSON.stringify(w), updated_at: w.lastHeartbeatAt };
      return db
        .insertInto("workers")
        .values(row)
        .onConflict((oc) => oc.column("id").doUpdateSet(row))
        .execute();
    }).pipe(Effect.asVoid),
  get: (id) =>
    query("workers.get", () =>
      db.selectFrom("workers").select("info").where("id", "=", id).executeTakeFirst(),
    ).pipe(
      Effect.flatMap((row) =>
        orNotFound(() => new NotFound({ kind: "worker", id }), worker("workers.get"))(row?.info),
      ),
    ),
  list: () =>
    query("workers.list", () =>
      db.selectFrom("workers").select("info").orderBy("id").execute(),
    ).pipe(Effect.flatMap((rows) => Effect.forEach(rows, (r) => worker("workers.list")(r.info)))),
  remove: (id) =>
    query("workers.remove", () => {
      committed();
      return db.deleteFrom("workers").where("id", "=", id).execute();
    }).pipe(Effect.asVoid),
});
