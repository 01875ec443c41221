/**
 * The HTTP API, declared once with @effect/platform's HttpApi: every route with its method,
 * path, parameters, body and answers. It is the single source of truth — the router
 * (router.ts) is compiled from it and `openApiDocument` is generated from it, so the
 * document cannot list a route the server does not answer, nor miss one it does.
 *
 * Routes needing a token carry the `Authorization` middleware (a bearer security scheme in the
 * document) and say which role the token needs (`RequiredRole`: read, submit or admin; shown
 * as `x-hodei-role` in the document); `/health` and `/ready` do not, so probes work without
 * one.
 */
// Modules, not the package's index: the index loads all of @effect/platform (a third of a
// second at start-up) for the few modules used here.
import * as HttpApi from "@effect/platform/HttpApi";
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint";
import * as HttpApiGroup from "@effect/platform/HttpApiGroup";
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware";
import * as HttpApiSchema from "@effect/platform/HttpApiSchema";
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity";
import * as OpenApi from "@effect/platform/OpenApi";
import { Context, Schema } from "effect";
import type { Role } from "../domain/access.ts";
import { Job } from "../domain/job.ts";
import { JobSpec } from "../domain/job-spec.ts";
import { Key } from "../domain/primitives.ts";
import { errorAt } from "./errors.ts";
import { tidy } from "./openapi.ts";
import { PipelineDefinition } from "../domain/pipeline.ts";
import { PipelineRun } from "../persistence/pipelines.ts";
import * as P from "./pipeline-schemas.ts";
import * as C from "./schedule-schemas.ts";
import { RedriveRequest, RedriveResult } from "./redrive.ts";
import { ScheduleSpec } from "../domain/schedule.ts";
import * as S from "./schemas.ts";
import * as Q from "./queue-schemas.ts";
import * as T from "./token-schemas.ts";
import * as D from "./dashboard-schemas.ts";

export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("hodei/Authorization", {
  security: { bearer: HttpApiSecurity.bearer },
  failure: errorAt(401, "missing or wrong bearer token"),
}) {}

/** The least role a route's token must have (domain/access.ts). */
export class RequiredRole extends Context.Tag("hodei/RequiredRole")<RequiredRole, Role>() {}

const forbidden = errorAt(
  403,
  "the token's role is too weak for this route, or a browser's origin is not allowed",
);
const unsupported = errorAt(415, "a body that is not Content-Type: application/json");

const invalid = errorAt(400, "invalid JSON, or input that breaks the schema (details: the issues)");
const tooLarge = errorAt(413, "the body is over the limit (1 MiB unless configured)");
const unavailable = errorAt(503, "shutting down: not accepting new jobs");
const noJob = errorAt(404, "no such job");
const noWorker = errorAt(404, "no such worker");

const Created = (schema: Schema.Schema.Any, description: string) =>
  schema.annotations(HttpApiSchema.annotations({ status: 201, description }));
const Accepted = (schema: Schema.Schema.Any, description: string) =>
  schema.annotations(HttpApiSchema.annotations({ status: 202, description }));

const jobs = HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.post("submitJob", "/jobs")
      .annotate(RequiredRole, "submit")
      .addError(unsupported)
      .setPayload(JobSpec)
      .setUrlParams(S.SubmitQuery)
      .setHeaders(
        Schema.Struct({
          "idempotency-key": Schema.optionalWith(Key, { exact: true }).annotations({
            description: "same as the spec's idempotencyKey (the spec's wins)",
          }),
        }),
      )
      .addSuccess(Job.annotations({ description: "the job already submitted with this key" }))
      .addSuccess(Created(Job, "created, durable; Location names it"))
      .addError(invalid)
      .addError(tooLarge)
      .addError(errorAt(422, "no registered worker could ever take it (requirePlaceable=1)"))
      .addError(unavailable),
  )
  .add(
    HttpApiEndpoint.post("submitBatch", "/jobs/batch")
      .annotate(RequiredRole, "submit")
      .addError(unsupported)
      .setPayload(S.BatchRequest)
      .addSuccess(S.BatchResult.annotations({ description: "every job already existed" }))
      .addSuccess(Created(S.BatchResult, "at least one job created; all durable, one commit"))
      .addError(invalid)
      .addError(tooLarge)
      .addError(unavailable),
  )
  .add(
    HttpApiEndpoint.get("listJobs", "/jobs")
      .annotate(RequiredRole, "read")
      .setUrlParams(S.ListJobsQuery)
      .addSuccess(S.JobPage)
      .addError(invalid),
  )
  .add(
    HttpApiEndpoint.get("getJob", "/jobs/:id")
      .annotate(RequiredRole, "read")
      .setPath(S.JobIdPath)
      .addSuccess(S.JobDetail)
      .addError(noJob),
  )
  .add(
    HttpApiEndpoint.post("cancelJob", "/jobs/:id/cancel")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(S.JobIdPath)
      .addSuccess(Accepted(Job, "cancel requested; the job as it is now"))
      .addError(noJob)
      .addError(errorAt(409, "the job already finished")),
  )
  .add(
    HttpApiEndpoint.post("retryJob", "/jobs/:id/retry")
      .annotate(RequiredRole, "submit")
      .addError(unsupported)
      .setPath(S.JobIdPath)
      .addSuccess(
        Created(S.RetriedJob, "a new job from the same spec; Hodei-Retry-Of names the old"),
      )
      .addError(noJob)
      .addError(errorAt(409, "the job has not finished: terminal states only"))
      .addError(unavailable),
  )
  .add(
    HttpApiEndpoint.post("redriveJobs", "/jobs/redrive")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPayload(RedriveRequest)
      .addSuccess(
        RedriveResult.annotations({
          description:
            "each finished job taken is queued again: the same job, its next attempt, its history kept",
        }),
      )
      .addError(invalid)
      .addError(unavailable),
  )
  .add(
    HttpApiEndpoint.get("jobLogs", "/jobs/:id/logs")
      .annotate(RequiredRole, "read")
      .setPath(S.JobIdPath)
      .setUrlParams(S.LogsQuery)
      .addSuccess(S.LogPage)
      .addError(invalid)
      .addError(noJob),
  )
  .add(
    HttpApiEndpoint.get("streamJobLogs", "/jobs/:id/logs/stream")
      .annotate(RequiredRole, "read")
      .setPath(S.JobIdPath)
      .setUrlParams(S.StreamQuery)
      .addSuccess(
        HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
          description:
            "Server-Sent Events: `log` (id = seq, data = a LogChunk), then `end` (data = { state }) once the job is final",
        }),
      )
      .addError(invalid)
      .addError(noJob),
  )
  .add(
    HttpApiEndpoint.get("jobPlacement", "/jobs/:id/placement")
      .annotate(RequiredRole, "read")
      .setPath(S.JobIdPath)
      .addSuccess(S.PlacementInfo)
      .addError(noJob),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

const workers = HttpApiGroup.make("workers")
  .add(
    HttpApiEndpoint.get("listWorkers", "/workers")
      .annotate(RequiredRole, "read")
      .addSuccess(S.WorkerList),
  )
  .add(
    HttpApiEndpoint.get("getWorker", "/workers/:id")
      .annotate(RequiredRole, "read")
      .setPath(S.WorkerIdPath)
      .addSuccess(S.WorkerSummary)
      .addError(noWorker),
  )
  .add(
    HttpApiEndpoint.post("drainWorker", "/workers/:id/drain")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(S.WorkerIdPath)
      .addSuccess(Accepted(S.WorkerSummary, "drain requested"))
      .addError(noWorker),
  )
  .add(
    HttpApiEndpoint.post("pruneWorkers", "/workers/prune")
      .annotate(RequiredRole, "admin")
      .addSuccess(
        S.PrunedWorkers.annotations({
          description: "lost and offline workers forgotten now, not after their retention",
        }),
      ),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

const badQueueName = errorAt(400, "a malformed queue name, or settings that break the schema");

const queues = HttpApiGroup.make("queues")
  .add(
    HttpApiEndpoint.get("listQueues", "/queues")
      .annotate(RequiredRole, "read")
      .addSuccess(Q.QueueList),
  )
  .add(
    HttpApiEndpoint.get("getQueue", "/queues/:name")
      .annotate(RequiredRole, "read")
      .setPath(Q.QueueNamePath)
      .addSuccess(Q.QueueView)
      .addError(badQueueName),
  )
  .add(
    HttpApiEndpoint.put("updateQueue", "/queues/:name")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(Q.QueueNamePath)
      .setPayload(Q.QueueSettingsPatch)
      .addSuccess(
        Q.QueueView.annotations({ description: "stored, and applied from the next pass" }),
      )
      .addError(badQueueName),
  )
  .add(
    HttpApiEndpoint.post("pauseQueue", "/queues/:name/pause")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(Q.QueueNamePath)
      .addSuccess(
        Q.QueueView.annotations({
          description: "paused: queued jobs stay queued, running ones finish",
        }),
      )
      .addError(badQueueName),
  )
  .add(
    HttpApiEndpoint.post("resumeQueue", "/queues/:name/resume")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(Q.QueueNamePath)
      .addSuccess(Q.QueueView.annotations({ description: "resumed: queued jobs placed in order" }))
      .addError(badQueueName),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

const noPipeline = errorAt(404, "no such pipeline");
const noRun = errorAt(404, "no such run");

const pipelines = HttpApiGroup.make("pipelines")
  .add(
    HttpApiEndpoint.get("listPipelines", "/pipelines")
      .annotate(RequiredRole, "read")
      .addSuccess(P.PipelineSummaryList),
  )
  .add(
    HttpApiEndpoint.post("registerPipeline", "/pipelines")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPayload(PipelineDefinition)
      .addSuccess(Created(P.PipelineSummary, "registered and stored; runs can start"))
      .addError(invalid)
      .addError(tooLarge)
      .addError(errorAt(409, "a pipeline of this name is defined in code")),
  )
  .add(
    HttpApiEndpoint.get("getPipeline", "/pipelines/:name")
      .annotate(RequiredRole, "read")
      .setPath(P.NamePath)
      .addSuccess(P.PipelineSummary)
      .addError(noPipeline),
  )
  .add(
    HttpApiEndpoint.post("startRun", "/pipelines/:name/runs")
      .annotate(RequiredRole, "submit")
      .addError(unsupported)
      .setPath(P.NamePath)
      .setPayload(P.StartRunRequest)
      .addSuccess(Created(PipelineRun, "the run is recorded (durable) and started"))
      .addError(invalid)
      .addError(noPipeline)
      .addError(unavailable),
  )
  .add(
    HttpApiEndpoint.get("listRuns", "/runs")
      .annotate(RequiredRole, "read")
      .setUrlParams(P.ListRunsQuery)
      .addSuccess(P.RunPage)
      .addError(invalid),
  )
  .add(
    HttpApiEndpoint.get("getRun", "/runs/:id")
      .annotate(RequiredRole, "read")
      .setPath(S.RunIdPath)
      .addSuccess(PipelineRun)
      .addError(noRun),
  )
  .add(
    HttpApiEndpoint.post("cancelRun", "/runs/:id/cancel")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(S.RunIdPath)
      .addSuccess(Accepted(PipelineRun, "cancel requested; the run as it is now"))
      .addError(noRun)
      .addError(errorAt(409, "the run already finished")),
  )
  .add(
    HttpApiEndpoint.post("signalRun", "/runs/:id/signal")
      .annotate(RequiredRole, "submit")
      .addError(unsupported)
      .setPath(S.RunIdPath)
      .setPayload(P.SignalRequest)
      .addSuccess(Accepted(PipelineRun, "the signal is delivered to the run's machine"))
      .addError(invalid)
      .addError(noRun)
      .addError(
        errorAt(409, "the run is finished, or its machine does not accept this signal now"),
      ),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

const noSchedule = errorAt(404, "no such schedule");

const schedules = HttpApiGroup.make("schedules")
  .add(
    HttpApiEndpoint.get("listSchedules", "/schedules")
      .annotate(RequiredRole, "read")
      .addSuccess(C.ScheduleList),
  )
  .add(
    HttpApiEndpoint.post("createSchedule", "/schedules")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPayload(ScheduleSpec)
      .addSuccess(Created(C.ScheduleView, "stored (durable); it fires from now on"))
      .addError(invalid)
      .addError(tooLarge)
      .addError(errorAt(409, "a schedule of this name exists")),
  )
  .add(
    HttpApiEndpoint.get("getSchedule", "/schedules/:name")
      .annotate(RequiredRole, "read")
      .setPath(C.ScheduleNamePath)
      .addSuccess(C.ScheduleView)
      .addError(noSchedule),
  )
  .add(
    HttpApiEndpoint.del("deleteSchedule", "/schedules/:name")
      .annotate(RequiredRole, "admin")
      .setPath(C.ScheduleNamePath)
      .addSuccess(HttpApiSchema.NoContent.annotations({ description: "deleted" }))
      .addError(noSchedule),
  )
  .add(
    HttpApiEndpoint.post("pauseSchedule", "/schedules/:name/pause")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(C.ScheduleNamePath)
      .addSuccess(C.ScheduleView.annotations({ description: "paused (or already was)" }))
      .addError(noSchedule),
  )
  .add(
    HttpApiEndpoint.post("resumeSchedule", "/schedules/:name/resume")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(C.ScheduleNamePath)
      .addSuccess(
        C.ScheduleView.annotations({
          description: "resumed: it fires from now on (firings due while paused are not made)",
        }),
      )
      .addError(noSchedule),
  )
  .add(
    HttpApiEndpoint.post("triggerSchedule", "/schedules/:name/trigger")
      .annotate(RequiredRole, "submit")
      .addError(unsupported)
      .setPath(C.ScheduleNamePath)
      .addSuccess(Created(C.Firing, "a firing made now, whatever the schedule's overlap"))
      .addError(noSchedule)
      .addError(unavailable),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

const meta = HttpApiGroup.make("meta")
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .annotate(RequiredRole, "read")
      .addSuccess(
        HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4" }).annotations({
          description: "Prometheus exposition",
        }),
      ),
  )
  .add(
    HttpApiEndpoint.get("openApi", "/openapi.json")
      .annotate(RequiredRole, "read")
      .addSuccess(
        Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
          description: "this document",
        }),
      ),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

const tokens = HttpApiGroup.make("tokens")
  .add(
    HttpApiEndpoint.post("createToken", "/tokens")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPayload(T.CreateTokenRequest)
      .addSuccess(Created(T.CreatedToken, "stored (hashed); `token` is shown this once"))
      .addError(invalid),
  )
  .add(
    HttpApiEndpoint.get("listTokens", "/tokens")
      .annotate(RequiredRole, "admin")
      .addSuccess(T.TokenList),
  )
  .add(
    HttpApiEndpoint.post("revokeToken", "/tokens/:id/revoke")
      .annotate(RequiredRole, "admin")
      .addError(unsupported)
      .setPath(T.TokenIdPath)
      .addSuccess(T.TokenView.annotations({ description: "revoked (or already was)" }))
      .addError(errorAt(404, "no such token"))
      .addError(errorAt(409, "the last usable admin token: create another first")),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

/** What the web dashboard reads besides the resources: the overview, live events, who it is. */
const dashboard = HttpApiGroup.make("dashboard")
  .add(
    HttpApiEndpoint.get("streamEvents", "/events")
      .annotate(RequiredRole, "read")
      .setUrlParams(D.EventsQuery)
      .addSuccess(
        HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
          description:
            "Server-Sent Events: `hello`, then `job`, `worker`, `run`, `placement` (the bus topics' messages), `overview` (an Overview when it changed) and `resync` (read again: events were skipped)",
        }),
      )
      .addError(invalid),
  )
  .add(
    HttpApiEndpoint.get("getOverview", "/overview")
      .annotate(RequiredRole, "read")
      .addSuccess(D.Overview),
  )
  .add(HttpApiEndpoint.get("whoAmI", "/whoami").annotate(RequiredRole, "read").addSuccess(D.WhoAmI))
  .add(
    HttpApiEndpoint.post("createUiLink", "/ui/links")
      .annotate(RequiredRole, "read")
      .addError(unsupported)
      .addSuccess(Created(D.UiLink, "a one-time link for the dashboard, good for 60 s")),
  )
  .addError(forbidden)
  .middleware(Authorization)
  .prefix("/api/v1");

/** The dashboard trades a one-time link's code for its token: the code is the credential. */
const uiLogin = HttpApiGroup.make("uiLogin").add(
  HttpApiEndpoint.post("exchangeUiLink", "/api/v1/ui/exchange")
    .addError(unsupported)
    .setPayload(D.ExchangeRequest)
    .addSuccess(D.ExchangedToken)
    .addError(invalid)
    .addError(errorAt(404, "unknown, used or expired link")),
);

/** What this API is and where to go: behind a token, as every `/api/v1` route is. */
const apiIndex = HttpApiGroup.make("index")
  .add(
    HttpApiEndpoint.get("index", "/api/v1").annotate(RequiredRole, "read").addSuccess(S.ApiIndex),
  )
  .addError(forbidden)
  .middleware(Authorization);

const probes = HttpApiGroup.make("probes")
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(S.Health))
  .add(
    HttpApiEndpoint.get("ready", "/ready")
      .addSuccess(S.Readiness)
      .addError(errorAt(503, "not ready: details.checks says what is missing")),
  );

export const hodeiApi = HttpApi.make("hodei")
  .add(jobs)
  .add(workers)
  .add(queues)
  .add(pipelines)
  .add(schedules)
  .add(meta)
  .add(tokens)
  .add(dashboard)
  .add(uiLogin)
  .add(apiIndex)
  .add(probes)
  .addError(
    errorAt(421, "the API listens on loopback and the Host is not a loopback name (DNS rebinding)"),
  )
  .addError(errorAt(500, "an unexpected error; the message says what failed"))
  .annotate(OpenApi.Title, "Hodei")
  .annotate(OpenApi.Version, "v1")
  .annotate(
    OpenApi.Description,
    "Jobs, workers and pipelines of a Hodei supervisor. Errors: { error: { code, message, details } }.",
  )
  .annotate(OpenApi.Transform, tidy);

export type HodeiApi = typeof hodeiApi;

/** Each endpoint's required role, by its name (`submitJob` → `submit`); absent: public. */
export const requiredRoles = (): ReadonlyMap<string, Role> => {
  const found = new Map<string, Role>();
  HttpApi.reflect(hodeiApi as unknown as HttpApi.HttpApi.Any as never, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, mergedAnnotations }) => {
      const role = Context.getOption(mergedAnnotations, RequiredRole);
      if (role._tag === "Some") found.set(endpoint.name, role.value);
    },
  });
  return found;
};

/** The OpenAPI 3.1 document of the API, as served at /api/v1/openapi.json. */
export const openApiDocument = (): OpenApi.OpenAPISpec => {
  const spec = OpenApi.fromApi(hodeiApi);
  const roles = requiredRoles();
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item)) {
      if (typeof op !== "object" || op === null || !("operationId" in op)) continue;
      const role = roles.get(String(op.operationId).replace(/^\w+\./, ""));
      if (role !== undefined) Object.assign(op, { "x-hodei-role": role });
    }
  }
  return spec;
};
