/**
 * The API's own request and response shapes, next to the domain's (Job, JobSpec, WorkerInfo,
 * PipelineDefinition, LogChunk), which it answers as they are.
 *
 * Query parameters arrive as strings: each schema here decodes from the string a user types
 * (`state=queued,running`, `label=team=infra`, `limit=50`), so a bad value is a 400 naming the
 * parameter, and the OpenAPI document shows the string form.
 */
import { Schema } from "effect";
import { JobId, PipelineRunId, WorkerId } from "../domain/ids.ts";
import { Job } from "../domain/job.ts";
import { JobSpec } from "../domain/job-spec.ts";
import { SinceParam } from "./since.ts";
import { JobState } from "../domain/job-state.ts";
import { Labels } from "../domain/primitives.ts";
import { QueueName } from "../domain/queue.ts";
import { WorkerCapacity, WorkerState } from "../domain/worker.ts";
import { LogChunk } from "../persistence/logs.ts";

/** The most jobs one batch may hold: a batch is one commit, and its answer one response. */
export const maxBatchSize = 1000;

const intFromString = (min: number, max: number, description: string) =>
  Schema.NumberFromString.pipe(
    Schema.int({ message: () => `Expected an integer from ${min} to ${max}` }),
    Schema.between(min, max, { message: () => `Expected an integer from ${min} to ${max}` }),
    Schema.annotations({ description }),
  );

/** "1"/"true" or "0"/"false". */
const Flag = Schema.transform(Schema.Literal("1", "0", "true", "false"), Schema.Boolean, {
  strict: true,
  decode: (s) => s === "1" || s === "true",
  encode: (b) => (b ? "1" : "0"),
});

const opt = <S extends Schema.Schema.All>(s: S) => Schema.optionalWith(s, { exact: true });

export const JobStateList = Schema.transform(
  Schema.String.annotations({ description: "states, comma-separated: queued,running" }),
  Schema.Array(JobState),
  { strict: false, decode: (s) => s.split(","), encode: (a) => a.join(",") },
);

export const LabelFilter = Schema.transform(
  Schema.String.pipe(
    Schema.pattern(/^[^=]+=/, { message: () => "Expected key=value" }),
    Schema.annotations({ description: "a label the job's spec has: key=value" }),
  ),
  Schema.Struct({ key: Schema.String, value: Schema.String }),
  {
    strict: true,
    decode: (s) => ({ key: s.slice(0, s.indexOf("=")), value: s.slice(s.indexOf("=") + 1) }),
    encode: ({ key, value }) => `${key}=${value}`,
  },
);

export const ListJobsQuery = Schema.Struct({
  state: opt(JobStateList),
  order: opt(
    Schema.Literal("oldest", "newest").annotations({
      description: "creation order: oldest first (default) or newest first",
    }),
  ),
  label: opt(LabelFilter),
  queue: opt(QueueName),
  pipelineRunId: opt(Schema.String),
  handler: opt(Schema.String.annotations({ description: "handler jobs of this handler name" })),
  error: opt(
    Schema.String.annotations({ description: "jobs whose error contains this (any case)" }),
  ),
  since: opt(SinceParam),
  limit: opt(intFromString(1, 1000, "page size, default 100")),
  cursor: opt(Schema.String.annotations({ description: "`next` of the previous page" })),
});

export const SubmitQuery = Schema.Struct({
  requirePlaceable: opt(
    Flag.annotations({
      description:
        "1: refuse (422) a job no registered worker could ever take, instead of queueing it",
    }),
  ),
});

export const LogsQuery = Schema.Struct({
  fromSeq: opt(intFromString(1, Number.MAX_SAFE_INTEGER, "first chunk to return, default 1")),
  limit: opt(intFromString(1, 10_000, "chunks per page, default 1000")),
  tail: opt(intFromString(1, 10_000, "the last n chunks instead of a page from fromSeq")),
  follow: opt(
    Flag.annotations({ description: "1: stream as Server-Sent Events, as /logs/stream" }),
  ),
});

export const StreamQuery = Schema.Struct({
  fromSeq: opt(intFromString(1, Number.MAX_SAFE_INTEGER, "first chunk to send, default 1")),
});

/**
 * Path parameters name resources: one that cannot be an id of its kind names nothing, and the
 * router answers 404 without asking the store (which may not even take a key that long).
 */
export const JobIdPath = Schema.Struct({ id: JobId });
export const WorkerIdPath = Schema.Struct({ id: WorkerId });
export const RunIdPath = Schema.Struct({ id: PipelineRunId });

export const BatchRequest = Schema.Struct({
  jobs: Schema.Array(JobSpec).pipe(Schema.minItems(1), Schema.maxItems(maxBatchSize)),
}).annotations({ identifier: "BatchRequest" });

export const BatchResult = Schema.Struct({
  jobs: Schema.Array(
    Schema.Struct({
      id: JobId,
      created: Schema.Boolean.annotations({ description: "false: an idempotency key matched" }),
      state: JobState,
    }),
  ),
}).annotations({ identifier: "BatchResult", description: "one entry per job, in order" });

export const JobPage = Schema.Struct({
  jobs: Schema.Array(Job),
  next: Schema.NullOr(Schema.String).annotations({ description: "cursor of the next page" }),
}).annotations({ identifier: "JobPage" });

export const JobWaiting = Schema.Struct({
  reason: Schema.String.annotations({ description: "the scheduler's reason, as it is now" }),
  never: Schema.Boolean.annotations({
    description: "no registered worker could ever take it as specified",
  }),
  since: Schema.Number.annotations({ description: "when it entered the queue, epoch ms" }),
  waitedMs: Schema.Number.annotations({ description: "how long it has waited, by the server" }),
}).annotations({ identifier: "JobWaiting", description: "why a queued job is not placed" });
export type JobWaiting = typeof JobWaiting.Type;

/** A job as `GET /jobs/:id` answers it: the record, and why it waits while it is queued. */
export const JobDetail = Schema.Struct({
  ...Job.fields,
  waiting: opt(JobWaiting),
}).annotations({
  identifier: "JobDetail",
  description: "a job, with the scheduler's reason while it waits in the queue",
});
export type JobDetail = typeof JobDetail.Type;

export const RetriedJob = Schema.Struct({
  retryOf: JobId.annotations({ description: "the job this one retries" }),
  job: Job,
}).annotations({ identifier: "RetriedJob" });

export const LogPage = Schema.Struct({
  chunks: Schema.Array(LogChunk),
  nextSeq: Schema.Number,
  truncated: Schema.Boolean,
}).annotations({ identifier: "LogPage" });

export const PlacementInfo = Schema.Struct({
  jobId: Schema.String,
  state: JobState,
  placed: Schema.Boolean.annotations({ description: "a worker holds (or held) it" }),
  workerId: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String).annotations({ description: "why it waits" }),
  never: Schema.Boolean.annotations({
    description: "no registered worker could ever take it as specified",
  }),
  rejected: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Number })),
}).annotations({ identifier: "PlacementInfo" });

const Amounts = Schema.Struct({
  cpuMillis: Schema.Number,
  memoryMb: Schema.Number,
  gpus: Schema.Number,
  jobs: Schema.Number,
});

export const WorkerSummary = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  state: Schema.Union(WorkerState, Schema.Literal("unknown")),
  capacity: WorkerCapacity,
  reserved: Amounts,
  free: Amounts,
  labels: Labels,
  handlers: Schema.Array(Schema.String),
  healthy: Schema.Boolean,
  draining: Schema.Boolean,
  registeredAt: Schema.NullOr(Schema.Number),
  lastHeartbeatAt: Schema.Number,
  telemetry: Schema.NullOr(
    Schema.Struct({
      cpuPercent: Schema.Number,
      memoryUsedMb: Schema.Number,
      memoryTotalMb: Schema.Number,
      load1: Schema.Number,
      diskFreeMb: Schema.Number,
      runningJobs: Schema.Number,
    }),
  ),
}).annotations({ identifier: "WorkerSummary", description: "a worker with its usage" });
export type WorkerSummary = typeof WorkerSummary.Type;

export const WorkerList = Schema.Struct({ workers: Schema.Array(WorkerSummary) });

export const QuarantinedRecord = Schema.Struct({
  kind: Schema.Literal("job", "snapshot", "run", "definition"),
  id: Schema.String,
  reason: Schema.String,
  at: Schema.Number,
}).annotations({
  identifier: "QuarantinedRecord",
  description: "a stored record the schema refuses: kept untouched, left out of lists and recovery",
});

export const PrunedWorkers = Schema.Struct({
  pruned: Schema.Array(Schema.String).annotations({ description: "the workers forgotten" }),
}).annotations({ identifier: "PrunedWorkers" });

export const ApiIndex = Schema.Struct({
  name: Schema.Literal("hodei"),
  version: Schema.String,
  links: Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
    description: "where to go from here: openapi, jobs, workers, pipelines, runs, metrics, ready",
  }),
}).annotations({ identifier: "ApiIndex", description: "what this API is, and its main routes" });

export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  uptimeSeconds: Schema.Number,
  quarantined: Schema.Array(QuarantinedRecord),
}).annotations({ identifier: "Health" });

export const Readiness = Schema.Struct({
  ready: Schema.Boolean,
  checks: Schema.Record({ key: Schema.String, value: Schema.Boolean }).annotations({
    description: "store, recovery, hwp, ...: each true once done",
  }),
}).annotations({ identifier: "Readiness" });
export type Readiness = typeof Readiness.Type;
