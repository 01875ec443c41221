/**
 * The job routes. Decisions worth knowing:
 * - Submits answer 201 once the job is durable, 200 with the existing job for a repeated
 *   idempotency key (from the spec, or the `Idempotency-Key` header when the spec has none).
 * - A job no worker could ever take is accepted and queued unless `requirePlaceable=1` (422).
 * - Cancel answers 202 with the job as it is: the cancel is on its way to the job's actor, and
 *   a running job ends `cancelled` once its agent confirms. A final job answers 409.
 * - Retry makes a new job from the old one's spec (without its idempotency key, which would
 *   return the old job): final states are absorbing, the old job stays as it ended. Only final
 *   jobs can be retried (409 otherwise). The answer names the old job in `retryOf` and in the
 *   `Hodei-Retry-Of` header; nothing in the new job's own record does. A retry runs now: a
 *   delayed job's `runAt`/`delayMs` are not carried over.
 * - A delayed job's `waiting` says until when it is delayed.
 */
import { Effect, Schema } from "effect";
import { dueAt } from "../../domain/delay.ts";
import { InvalidInput } from "../../domain/errors.ts";
import { JobSpec } from "../../domain/job-spec.ts";
import { isTerminalJobState } from "../../domain/job-state.ts";
import type { Job } from "../../domain/job.ts";
import type { LogPage } from "../../persistence/logs.ts";
import type { StoreError } from "../../persistence/errors.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import { ApiFailure, notFound } from "../errors.ts";
import { streamLogPage } from "../log-page.ts";
import type { Handlers } from "../router.ts";
import { maxBatchSize, type JobWaiting } from "../schemas.ts";
import { sinceAt } from "../since.ts";
import { redrive } from "../redrive.ts";
import { shuttingDown, type ApiContext } from "./context.ts";
import { requirePlaceable } from "./placeable.ts";

const location = (id: string) => `/api/v1/jobs/${id}`;

const withHeaderKey = (payload: unknown, header: string | string[] | undefined): unknown => {
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || typeof payload !== "object" || payload === null) return payload;
  if (Array.isArray(payload) || "idempotencyKey" in payload) return payload;
  return { ...payload, idempotencyKey: key };
};

const batchOf = (payload: unknown): ReadonlyArray<unknown> | InvalidInput => {
  const jobs =
    typeof payload === "object" && payload !== null && !Array.isArray(payload)
      ? (payload as { jobs?: unknown }).jobs
      : undefined;
  const extra =
    typeof payload === "object" && payload !== null
      ? Object.keys(payload).filter((k) => k !== "jobs")
      : [];
  const problem =
    extra.length > 0
      ? { path: extra[0]!, message: "is unexpected" }
      : !Array.isArray(jobs)
        ? { path: "jobs", message: "Expected { jobs: [job spec, ...] }" }
        : jobs.length === 0 || jobs.length > maxBatchSize
          ? { path: "jobs", message: `Expected 1 to ${maxBatchSize} jobs, actual ${jobs.length}` }
          : undefined;
  if (problem === undefined) return jobs as ReadonlyArray<unknown>;
  return new InvalidInput({ message: `${problem.path}: ${problem.message}`, issues: [problem] });
};

const getJob = (ctx: ApiContext, id: string) => ctx.core.jobs.get(id);

/** Not yet seen by the scheduler: the moment between the row's commit and the queue. */
const entering = "entering the queue: the scheduler has not seen it yet";

/** Why a queued job waits, as the scheduler says it now; undefined for a job not queued. */
const waitingOf = (core: SupervisorCore, job: Job): JobWaiting | undefined => {
  if (job.state === "delayed") {
    const due = dueAt(job) ?? job.createdAt;
    return {
      reason: `delayed until ${new Date(due).toISOString()}`,
      never: false,
      since: job.createdAt,
      waitedMs: Math.max(0, core.now() - job.createdAt),
    };
  }
  if (job.state !== "queued") return undefined;
  const why = core.jobs.explain(job.id);
  const since = job.transitions.at(-1)?.at ?? job.createdAt;
  return {
    reason: why?.reason ?? entering,
    never: why?.never ?? false,
    since,
    waitedMs: Math.max(0, core.now() - since),
  };
};

const finished = (job: Job) =>
  new ApiFailure(409, "conflict", `job ${job.id} already ended ${job.state}`, { state: job.state });

const invalidQuery = (message: string) =>
  new ApiFailure(400, "invalid_input", message, [{ path: "query", message }]);

/** The last `n` chunks as a page: `nextSeq` is where following them would go on. */
const tailPage = (core: SupervisorCore, jobId: string, n: number) =>
  Effect.gen(function* () {
    const chunks = yield* core.jobs.logs.tail(jobId, n);
    const nextSeq = (chunks.at(-1)?.seq ?? 0) + 1;
    const { truncated } = yield* core.jobs.logs.read(jobId, { fromSeq: nextSeq, limit: 1 });
    return { chunks, nextSeq, truncated };
  });

export const jobHandlers = (
  ctx: ApiContext,
): Pick<
  Handlers,
  | "submitJob"
  | "submitBatch"
  | "listJobs"
  | "getJob"
  | "cancelJob"
  | "retryJob"
  | "redriveJobs"
  | "jobLogs"
  | "streamJobLogs"
  | "jobPlacement"
> => {
  const { core } = ctx;
  const stream = (id: string, fromSeq: number | undefined, lastEventId: unknown) =>
    getJob(ctx, id).pipe(
      Effect.map(() => {
        const resumed = Number(lastEventId);
        const from = Math.max(fromSeq ?? 1, Number.isInteger(resumed) ? resumed + 1 : 1);
        return from;
      }),
    );

  return {
    submitJob: ({ payload, query, req }) => {
      if (!ctx.accepting()) return Effect.fail(shuttingDown());
      const body = withHeaderKey(payload, req.headers["idempotency-key"]);
      const submit = Effect.map(ctx.submit(body), ({ job, created }) => ({
        status: created ? 201 : 200,
        body: job,
        headers: { location: location(job.id) },
      }));
      return query.requirePlaceable === true
        ? Effect.zipRight(requirePlaceable(core, body), submit)
        : submit;
    },
    submitBatch: ({ payload }) => {
      if (!ctx.accepting()) return Effect.fail(shuttingDown());
      const jobs = batchOf(payload);
      if (jobs instanceof InvalidInput) return Effect.fail(jobs);
      // A request body: parsed JSON.
      return Effect.map(core.submitBatch(jobs, { parsed: true }), (results) => ({
        status: results.some((r) => r.created) ? 201 : 200,
        body: {
          jobs: results.map((r) => ({ id: r.job.id, created: r.created, state: r.job.state })),
        },
      }));
    },
    listJobs: ({ query }) =>
      Effect.map(
        core.jobs.list({
          ...(query.state !== undefined ? { state: query.state } : {}),
          ...(query.order !== undefined ? { order: query.order } : {}),
          ...(query.label !== undefined ? { label: query.label } : {}),
          ...(query.queue !== undefined ? { queue: query.queue } : {}),
          ...(query.pipelineRunId !== undefined ? { pipelineRunId: query.pipelineRunId } : {}),
          ...(query.handler !== undefined ? { handler: query.handler } : {}),
          ...(query.error !== undefined ? { error: query.error } : {}),
          ...(query.since !== undefined ? { updatedSince: sinceAt(query.since, core.now()) } : {}),
          ...(query.limit !== undefined ? { limit: query.limit } : {}),
          ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        }),
        (page) => ({ status: 200, body: { jobs: page.jobs, next: page.next } }),
      ),
    getJob: ({ path }) =>
      Effect.map(getJob(ctx, path.id), (job) => {
        const waiting = waitingOf(core, job);
        return { status: 200, body: waiting === undefined ? job : { ...job, waiting } };
      }),
    cancelJob: ({ path }) =>
      Effect.gen(function* () {
        const job = yield* getJob(ctx, path.id);
        if (isTerminalJobState(job.state)) return yield* finished(job);
        const sent = yield* Effect.either(core.cancel(job.id));
        const now = yield* getJob(ctx, path.id);
        // Ended meanwhile: its actor no longer takes messages.
        if (sent._tag === "Left") {
          return yield* isTerminalJobState(now.state) ? finished(now) : notFound("job", path.id);
        }
        return { status: 202, body: now };
      }),
    retryJob: ({ path }) =>
      Effect.gen(function* () {
        if (!ctx.accepting()) return yield* shuttingDown();
        const old = yield* getJob(ctx, path.id);
        if (!isTerminalJobState(old.state)) {
          return yield* new ApiFailure(
            409,
            "conflict",
            `job ${old.id} is ${old.state}: only a finished job can be retried`,
            { state: old.state },
          );
        }
        // A new job runs now: neither the old key nor the old delay.
        const {
          idempotencyKey: _,
          runAt: _at,
          delayMs: _ms,
          ...spec
        } = Schema.encodeSync(JobSpec)(old.spec);
        const { job } = yield* core.submit(spec);
        return {
          status: 201,
          body: { retryOf: old.id, job },
          headers: { location: location(job.id), "hodei-retry-of": old.id },
        };
      }),
    redriveJobs: ({ payload }) =>
      ctx.accepting()
        ? Effect.map(redrive(core, payload), (body) => ({ status: 200, body }))
        : Effect.fail(shuttingDown()),
    jobLogs: ({ path, query, req, res }) =>
      query.follow === true
        ? Effect.map(stream(path.id, query.fromSeq, req.headers["last-event-id"]), (from) => {
            ctx.logs.follow(path.id, from, res);
            return { streamed: true as const, status: 200 };
          })
        : query.tail !== undefined
          ? getJob(ctx, path.id).pipe(
              Effect.zipRight<LogPage, StoreError | ApiFailure, never>(
                query.fromSeq !== undefined
                  ? Effect.fail(invalidQuery("tail and fromSeq cannot be combined"))
                  : tailPage(core, path.id, query.tail),
              ),
              Effect.map((page) => ({ status: 200, body: page })),
            )
          : getJob(ctx, path.id).pipe(
              // Streamed from the store a slice at a time: memory does not grow with the log.
              Effect.zipRight(
                streamLogPage(
                  core.jobs.logs,
                  path.id,
                  {
                    ...(query.fromSeq !== undefined ? { fromSeq: query.fromSeq } : {}),
                    ...(query.limit !== undefined ? { limit: query.limit } : {}),
                  },
                  res,
                ),
              ),
              Effect.as({ streamed: true as const, status: 200 }),
            ),
    streamJobLogs: ({ path, query, req, res }) =>
      Effect.map(stream(path.id, query.fromSeq, req.headers["last-event-id"]), (from) => {
        ctx.logs.follow(path.id, from, res);
        return { streamed: true as const, status: 200 };
      }),
    jobPlacement: ({ path }) =>
      Effect.map(getJob(ctx, path.id), (job) => {
        const queued = job.state === "queued";
        const why = queued ? core.jobs.explain(job.id) : undefined;
        const onWorker = ["scheduled", "running", "cancelling"].includes(job.state);
        return {
          status: 200,
          body: {
            jobId: job.id,
            state: job.state,
            placed: job.workerId !== undefined,
            workerId: onWorker ? (job.workerId ?? null) : null,
            reason: queued
              ? (why?.reason ?? entering)
              : job.state === "delayed"
                ? (waitingOf(core, job)?.reason ?? null)
                : null,
            never: why?.never ?? false,
            rejected: why?.rejected ?? null,
          },
        };
      }),
  };
};
