/**
 * The core's narrow ports: what its adapters (the HTTP API, metrics, the dashboard's event
 * streams) may ask of it, instead of reaching into its store, actor system, scheduler and bus.
 * Each is read-only, or as narrow as its one caller needs (auth's credentials).
 *
 * - **jobs**: read a job, list them, read its log, and ask the scheduler why a queued job
 *   waits (`explain`) or whether a job about to be submitted could ever be placed
 *   (`explainSpec`). Both explanations answer from the ClusterState the scheduler actor
 *   already owns: nothing is copied or rebuilt per request.
 * - **workers**: the scheduler's view (capacity, reservations, health, telemetry), the stored
 *   records (name, registration time) and the worker actor's lifecycle state.
 * - **scheduling**: queue depths and reservations, as gauges read them.
 * - **runs**: pipeline runs listed, and declarative definitions kept.
 * - **events**: the bus's topics to follow (subscribe, stats), not to publish on.
 * - **now**: the actor system's clock.
 *
 * Submitting, cancelling, redriving and draining stay the core's own methods (core.ts).
 */
import { Effect } from "effect";
import type { Bus } from "../bus/index.ts";
import type { InvalidInput, NotFound } from "../domain/errors.ts";
import type { Job } from "../domain/job.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import type { WorkerInfo, WorkerState } from "../domain/worker.ts";
import { workerStates } from "../domain/worker.ts";
import type {
  CredentialStore,
  JobFilter,
  JobPage,
  LogStore,
  PipelineStore,
  QuarantinedRecord,
  Store,
  StoreError,
} from "../persistence/index.ts";
import { workerAddress, type SupervisorKinds } from "./kinds.ts";
import type { ActorSystem } from "../runtime/system.ts";
import type { WorkerView } from "../scheduler/cluster-state.ts";
import type { Explanation } from "../scheduler/explain.ts";
import { queuedJobOf } from "./routing.ts";
import type { SchedulerActor } from "./scheduler-actor.ts";

export interface JobQueries {
  readonly get: (id: string) => Effect.Effect<Job, NotFound | StoreError>;
  readonly list: (filter?: JobFilter) => Effect.Effect<JobPage, InvalidInput | StoreError>;
  /** A job's stored log, read-only. */
  readonly logs: Pick<LogStore, "read" | "tail">;
  /** Why a queued job waits, as the scheduler says it now; undefined for a job not in its queue. */
  readonly explain: (jobId: string) => Explanation | undefined;
  /** Whether, and why not, a job of this spec could be placed now (`never`: not by any worker). */
  readonly explainSpec: (spec: JobSpec) => Explanation;
}

export interface WorkerQueries {
  /** The scheduler's view of every worker it knows. */
  readonly views: () => ReadonlyArray<WorkerView>;
  /** A stored worker record; undefined when there is none. */
  readonly record: (id: string) => Effect.Effect<WorkerInfo | undefined, StoreError>;
  readonly records: () => Effect.Effect<ReadonlyArray<WorkerInfo>, StoreError>;
  /** The worker actor's lifecycle state; "unknown" when it has no actor or it cannot be read. */
  readonly state: (id: string) => Effect.Effect<WorkerState | "unknown">;
}

export interface SchedulingQueries {
  readonly queued: () => number;
  /** Queued jobs by priority, highest first. */
  readonly queuedByPriority: () => ReadonlyArray<readonly [priority: number, jobs: number]>;
  /** Jobs holding a reservation on a worker. */
  readonly placed: () => number;
}

export interface RunQueries {
  readonly list: PipelineStore["listRuns"];
  /** Keeps a declarative pipeline definition, so that it is registered again at start. */
  readonly keepDefinition: PipelineStore["putDefinition"];
}

/** The bus's topics to follow: subscribing and counters, no publishing. */
export type EventSource = Pick<Bus, "subscribe" | "stats">;

export interface CorePorts {
  readonly now: () => number;
  readonly jobs: JobQueries;
  readonly workers: WorkerQueries;
  readonly scheduling: SchedulingQueries;
  readonly runs: RunQueries;
  readonly events: EventSource;
  /** API tokens and worker secrets: what auth reads and writes. */
  readonly credentials: CredentialStore;
  /** Records found that the schema refuses (health). */
  readonly quarantined: () => ReadonlyArray<QuarantinedRecord>;
}

const states: ReadonlySet<string> = new Set(workerStates);

/** The worker machine's state value (`"busy"`, `"lost"`) as a WorkerState. */
const workerStateOf = (snapshot: unknown): WorkerState | "unknown" => {
  const value = (snapshot as { value?: unknown } | undefined)?.value;
  return typeof value === "string" && states.has(value) ? (value as WorkerState) : "unknown";
};

export const makeCorePorts = (parts: {
  readonly store: Store;
  readonly system: ActorSystem<SupervisorKinds>;
  readonly scheduler: SchedulerActor;
  readonly bus: Bus;
}): CorePorts => {
  const { store, system, scheduler, bus } = parts;
  return {
    now: () => system.now(),
    jobs: {
      get: (id) => store.jobs.get(id),
      list: (filter) => store.jobs.list(filter),
      logs: { read: (id, o) => store.logs.read(id, o), tail: (id, n) => store.logs.tail(id, n) },
      explain: (jobId) => scheduler.explain(jobId),
      explainSpec: (spec) => scheduler.explainNew(queuedJobOf("unsubmitted", spec, system.now())),
    },
    workers: {
      views: () => scheduler.workers(),
      record: (id) =>
        store.workers
          .get(id)
          .pipe(
            Effect.catchTag("NotFound", (): Effect.Effect<WorkerInfo | undefined> =>
              Effect.succeed(undefined),
            ),
          ),
      records: () => store.workers.list(),
      state: (id) =>
        system.snapshot(workerAddress(id)).pipe(
          Effect.map(workerStateOf),
          Effect.orElseSucceed(() => "unknown" as const),
        ),
    },
    scheduling: {
      queued: () => scheduler.queued(),
      queuedByPriority: () => scheduler.queuedByPriority(),
      placed: () => scheduler.reservations(),
    },
    runs: {
      list: (filter) => store.pipelines.listRuns(filter),
      keepDefinition: (definition) => store.pipelines.putDefinition(definition),
    },
    events: {
      subscribe: (topic, options) => bus.subscribe(topic, options),
      stats: () => bus.stats(),
    },
    credentials: store.credentials,
    quarantined: () => store.quarantine.list(),
  };
};
