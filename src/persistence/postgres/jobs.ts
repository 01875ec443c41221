/**
 * PostgreSQL JobStore. Creates go through a group commit (group-commit.ts): every create that
 * arrives while the previous batch commits becomes one statement — a data-modifying CTE inserts
 * the heads (`on conflict do nothing`) and the statuses of the heads it inserted — so one
 * transaction and one WAL flush for the lot. The rows that conflicted (a repeated id or
 * idempotency key, possibly within the same batch) are read back and returned as existing jobs.
 */
import { Effect, Either } from "effect";
import { sql, type Kysely } from "kysely";
import { Conflict, NotFound } from "../../domain/errors.ts";
import type { Job } from "../../domain/job.ts";
import { decodeCursor, pageLimit, pageOf } from "../cursor.ts";
import { storeError, type StoreError } from "../errors.ts";
import { makeGroupCommit } from "../group-commit.ts";
import { statusOf, statusOfSnapshot } from "../job-status.ts";
import type { SnapshotRecord } from "../snapshots.ts";
import { notFinished, type CreateResult, type JobStore, type OpenRow } from "../jobs.ts";
import { isTerminalJobState, terminalJobStates, type JobState } from "../../domain/job-state.ts";
import { decodeParsedJobSpec } from "../../domain/decode.ts";
import {
  headColumns,
  headRow,
  jobOfRow,
  selectJobs,
  snapshotColumns,
  snapshotRow,
  statusRow,
  type JobRow,
} from "./rows.ts";
import type { Database } from "./tables.ts";
import { present, type Quarantine } from "../quarantine.ts";

const unwrap = <A>(e: Either.Either<A, StoreError>): A => Either.getOrThrowWith(e, (x) => x);

/**
 * Creates jobs in one statement through `db` (the pool, or a transaction it joins): the jobs
 * store's creates, and the jobs a snapshot commit creates with its records (snapshots.ts).
 */
export type InsertJobs = (
  db: Kysely<Database>,
  requests: ReadonlyArray<readonly [Job, SnapshotRecord | undefined]>,
) => Promise<ReadonlyArray<CreateResult>>;

export const makeInsertJobs = (schema: string, committed: () => void): InsertJobs => {
  const t = (name: string) => sql.table(`${schema}.${name}`);

  /** Existing jobs by `id:<id>` and `key:<idempotency key>`, for the creates that conflicted. */
  const existing = async (db: Kysely<Database>, jobs: ReadonlyArray<Job>) => {
    const ids = jobs.map((j) => j.id);
    const keys = jobs.flatMap((j) => (j.spec.idempotencyKey ? [j.spec.idempotencyKey] : []));
    const rows = await selectJobs(db)
      .where((eb) =>
        eb.or([
          eb("j.id", "in", ids),
          ...(keys.length > 0 ? [eb("j.idempotency_key", "in", keys)] : []),
        ]),
      )
      .execute();
    const found = new Map<string, JobRow>();
    for (const row of rows) {
      found.set(`id:${row.id}`, row);
      if (row.idempotency_key !== null) found.set(`key:${row.idempotency_key}`, row);
    }
    return found;
  };

  /**
   * One statement: the heads (`on conflict do nothing`), then for the heads inserted their
   * statuses and, for jobs placed as they were created, their actors' records (the status then
   * derived from the record, held by the actor). The first request of an id wins.
   */
  return async (
    db: Kysely<Database>,
    requests: ReadonlyArray<readonly [Job, SnapshotRecord | undefined]>,
  ): Promise<ReadonlyArray<CreateResult>> => {
    committed();
    const jobs = requests.map(([j]) => j);
    const rows = requests.map(([j, placed], ord) => ({
      ...headRow(j),
      ...statusRow(j.id, placed === undefined ? statusOf(j) : statusOfSnapshot(placed)),
      held: placed !== undefined,
      ord,
    }));
    const placedRows = [
      ...new Map(
        requests.flatMap(([, p]) =>
          p === undefined ? [] : [[p.address, snapshotRow(p)] as const],
        ),
      ).values(),
    ];
    const { rows: inserted } = await sql<{ id: string }>`
    with input as (
      select * from json_to_recordset(${JSON.stringify(rows)}::json)
        as r(${headColumns}, ${sql.raw("state text, attempt int, updated_at bigint, transitions jsonb, worker_id text, result jsonb, held boolean, ord int")})),
    heads as (
      insert into ${t("jobs")} (id, spec, created_at, pipeline_run_id, pipeline_step, labels, idempotency_key)
      select id, spec, created_at, pipeline_run_id, pipeline_step, labels, idempotency_key from input
      on conflict do nothing
      returning id),
    placed as (
      insert into ${t("snapshots")} (address, kind, version, snapshot, deadline, done)
      select p.* from json_to_recordset(${JSON.stringify(placedRows)}::json) as p(${snapshotColumns})
      join heads h on p.address = 'job/' || h.id
      on conflict (address) do update set kind = excluded.kind, version = excluded.version,
        snapshot = excluded.snapshot, deadline = excluded.deadline, done = excluded.done)
    insert into ${t("job_status")} (id, state, attempt, updated_at, transitions, worker_id, result, held)
    select distinct on (i.id) i.id, i.state, i.attempt, i.updated_at, i.transitions, i.worker_id, i.result, i.held
    from input i join heads h on h.id = i.id
    order by i.id, i.ord
    returning id`.execute(db);
    const fresh = new Set(inserted.map((r) => r.id));
    const found = fresh.size < jobs.length ? await existing(db, jobs) : new Map<string, JobRow>();
    const claimed = new Set<string>();
    return jobs.map((job) => {
      if (fresh.has(job.id) && !claimed.has(job.id)) {
        claimed.add(job.id);
        return { job, created: true };
      }
      const key = job.spec.idempotencyKey;
      const row =
        (key !== undefined ? found.get(`key:${key}`) : undefined) ?? found.get(`id:${job.id}`);
      if (row === undefined) throw new Error(`job ${job.id} was neither inserted nor found`);
      return { job: unwrap(jobOfRow("jobs.create", row)), created: false };
    });
  };
};

export const makePostgresJobStore = (
  db: Kysely<Database>,
  schema: string,
  maxBatch: number,
  committed: () => void,
  quarantine: Quarantine,
): JobStore => {
  const t = (name: string) => sql.table(`${schema}.${name}`);
  const insert = makeInsertJobs(schema, committed);
  const creates = makeGroupCommit(
    (requests: ReadonlyArray<readonly [Job, SnapshotRecord | undefined]>) => insert(db, requests),
    maxBatch,
  );

  const createNow: JobStore["createNow"] = (job, placed, done) => {
    try {
      // A malformed record fails its own create here, not the batch it would join.
      if (placed !== undefined) statusOfSnapshot(placed);
    } catch (cause) {
      return done(Either.left(storeError("jobs.create")(cause)));
    }
    creates.submitNow(
      [job, placed],
      (r) => done(Either.right(r)),
      (cause) => done(Either.left(storeError("jobs.create")(cause))),
    );
  };

  const get = (id: string) =>
    Effect.tryPromise({
      try: () => selectJobs(db).where("j.id", "=", id).executeTakeFirst(),
      catch: storeError("jobs.get"),
    }).pipe(
      Effect.flatMap((row): Effect.Effect<Job, NotFound | StoreError> =>
        row === undefined
          ? Effect.fail(new NotFound({ kind: "job", id }))
          : jobOfRow("jobs.get", row),
      ),
    );
  const terminal = sql.join(terminalJobStates.map((s) => sql.lit(s)));

  return {
    create: (job, placed) => Effect.async((resume) => createNow(job, placed, resume)),
    createNow,
    createBatch: (jobs, records) =>
      Effect.tryPromise({
        try: () =>
          insert(
            db,
            jobs.map((j, i) => [j, records?.[i]] as const),
          ),
        catch: storeError("jobs.createBatch"),
      }),
    get: (id) => get(id),
    queueRows: (ids) =>
      ids.length === 0
        ? Effect.succeed([])
        : Effect.tryPromise({
            try: () =>
              db
                .selectFrom("jobs as j")
                .innerJoin("job_status as s", "s.id", "j.id")
                .select(["j.id", "j.spec", "s.state"])
                .where("j.id", "in", [...ids])
                .execute(),
            catch: storeError("jobs.queueRows"),
          }).pipe(
            Effect.map((rows) => {
              const byId = new Map(rows.map((row) => [row.id, row]));
              return ids.map((id) => {
                const row = byId.get(id);
                if (row === undefined) return undefined;
                const spec = decodeParsedJobSpec(row.spec);
                const state = row.state as JobState;
                return Either.isLeft(spec)
                  ? undefined
                  : { spec: spec.right, open: isTerminalJobState(state) ? undefined : state };
              });
            }),
          ),
    openRows: (states, after, limit) =>
      Effect.tryPromise({
        try: () => {
          let q = selectJobs(db)
            .where("s.state", "in", states.length === 0 ? [""] : [...states])
            .orderBy("j.id")
            .limit(limit + 1);
          if (after !== undefined) q = q.where("j.id", ">", after);
          return q.execute();
        },
        catch: storeError("jobs.openRows"),
      }).pipe(
        Effect.flatMap((found) =>
          Effect.forEach(found.slice(0, limit), (r) =>
            quarantine.skip(jobOfRow("jobs.openRows", r)),
          ).pipe(
            Effect.map((jobs) => ({
              rows: present(jobs).map((j): OpenRow => ({
                id: j.id,
                spec: j.spec,
                createdAt: j.createdAt,
                state: j.state,
              })),
              next: found.length > limit ? found[limit - 1]!.id : null,
            })),
          ),
        ),
      ),
    list: (filter = {}) =>
      Effect.gen(function* () {
        const after = yield* decodeCursor(filter.cursor);
        const limit = yield* pageLimit(filter.limit);
        const newest = filter.order === "newest";
        let q = selectJobs(db)
          .orderBy("j.id", newest ? "desc" : "asc")
          .limit(limit + 1);
        if (after !== undefined) q = q.where("j.id", newest ? "<" : ">", after);
        if (filter.state !== undefined) {
          const states = typeof filter.state === "string" ? [filter.state] : [...filter.state];
          q = states.length === 0 ? q.where(sql<boolean>`false`) : q.where("s.state", "in", states);
        }
        if (filter.pipelineRunId !== undefined)
          q = q.where("j.pipeline_run_id", "=", filter.pipelineRunId);
        if (filter.handler !== undefined)
          q = q.where(sql<boolean>`j.spec->'handler'->>'name' = ${filter.handler}`);
        if (filter.queue !== undefined) {
          q = q.where(sql<boolean>`coalesce(j.spec->>'queue', 'default') = ${filter.queue}`);
        }
        if (filter.label !== undefined) {
          const entry = JSON.stringify({ [filter.label.key]: filter.label.value });
          q = q.where(sql<boolean>`j.labels @> ${entry}::jsonb`);
        }
        if (filter.handler !== undefined)
          q = q.where(sql<boolean>`j.spec->'handler'->>'name' = ${filter.handler}`);
        if (filter.updatedSince !== undefined)
          q = q.where("s.updated_at", ">=", filter.updatedSince);
        if (filter.error !== undefined) {
          const pattern = `%${filter.error.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          q = q.where(sql<boolean>`coalesce(s.result->>'error', '') ilike ${pattern}`);
        }
        const rows = yield* Effect.tryPromise({
          try: () => q.execute(),
          catch: storeError("jobs.list"),
        });
        const page = pageOf(rows, limit, (r) => r.id);
        const jobs = yield* Effect.forEach(page.items, (r) =>
          quarantine.skip(jobOfRow("jobs.list", r)),
        );
        return { jobs: present(jobs), next: page.next };
      }),
    reopen: (id, record) =>
      Effect.try({
        try: () => statusRow(id, statusOfSnapshot(record)),
        catch: storeError("jobs.reopen"),
      }).pipe(
        Effect.flatMap((s) =>
          Effect.tryPromise({
            try: () => {
              committed();
              // One statement: the status leaves its final state (only from one) and the
              // actor's record is written, or neither.
              return sql<{ id: string }>`
                with moved as (
                  update ${t("job_status")} set state = ${s.state}, attempt = ${s.attempt},
                    updated_at = ${s.updated_at}, transitions = ${JSON.stringify(s.transitions)}::jsonb,
                    worker_id = ${s.worker_id}, result = ${s.result === null ? null : JSON.stringify(s.result)}::jsonb,
                    held = true
                  where id = ${id} and state in (${terminal})
                  returning id),
                snap as (
                  insert into ${t("snapshots")} (address, kind, version, snapshot, deadline, done)
                  select * from json_to_recordset(${JSON.stringify([snapshotRow(record)])}::json)
                    as r(${snapshotColumns})
                  where exists (select 1 from moved)
                  on conflict (address) do update set kind = excluded.kind, version = excluded.version,
                    snapshot = excluded.snapshot, deadline = excluded.deadline, done = excluded.done)
                select id from moved`.execute(db);
            },
            catch: storeError("jobs.reopen"),
          }),
        ),
        Effect.flatMap(({ rows }) =>
          Effect.flatMap(get(id), (job): Effect.Effect<Job, Conflict> =>
            rows.length === 1 ? Effect.succeed(job) : Effect.fail(notFinished(id, job.state)),
          ),
        ),
      ),
  };
};
