/**
 * Every Prometheus metric of Hodei, declared here and nowhere else, on a registry of its own,
 * with the process's own metrics (process-metrics.ts: prom-client's defaults, less the three
 * that `promtool check metrics` refuses).
 *
 * Three kinds of sources, so that nothing is declared and never updated:
 * - **events** (counters, histograms): fed by live.ts from the bus topics — jobs finished,
 *   placements, workers registered or lost, how long job attempts and pipeline runs took;
 * - **state read at scrape** (gauges): `collect` callbacks over a `MetricsSource` — the queue, the
 *   workers' capacity, reservations, telemetry and heartbeats, the bus's own counters;
 * - **HTTP** (`observeHttp`): called by the API for every request.
 *
 * Names and units follow Prometheus conventions where the original design's names allow it:
 * - `hodei_workers_total` counts workers now (a gauge) but ends in `_total`, which promtool only
 *   accepts from counters and untyped metrics: it is exposed untyped.
 * - `hodei_memory_usage_mb` fails promtool's lint ("abbreviated units"), so per-worker memory is
 *   `hodei_memory_usage_bytes`; `legacyMemoryMb: true` adds the old name for old dashboards.
 */
import { Counter, Histogram, Registry } from "prom-client";
import { declareGauges, type MetricsOptions, type MetricsSource } from "./gauges.ts";
import { collectProcessMetrics } from "./process-metrics.ts";

export type { MetricsOptions, MetricsSource } from "./gauges.ts";

const latencyBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];
/** Job attempts and pipeline runs: from a blink to hours. */
const runBuckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600];
const httpBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Sets a counter to a monotonic value kept elsewhere (the bus counts its own messages). */
const mirror = (counter: Counter<string>, values: Iterable<readonly [string, number]>) => {
  counter.reset();
  for (const [topic, value] of values) counter.inc({ topic }, value);
};

export const makeHodeiMetrics = (source: MetricsSource, options: MetricsOptions = {}) => {
  const registry = new Registry();
  const registers = [registry];
  const metrics = {
    registry,
    jobsAccepted: new Counter({
      name: "hodei_jobs_accepted_total",
      help: "Jobs accepted (durable and queued for the first time)",
      registers,
    }),
    jobsScheduled: new Counter({
      name: "hodei_jobs_scheduled_total",
      help: "Placement decisions: a job reserved on a worker (re-placements included)",
      registers,
    }),
    jobsCompleted: new Counter({
      name: "hodei_jobs_completed_total",
      help: "Jobs that ended succeeded",
      registers,
    }),
    jobsFailed: new Counter({
      name: "hodei_jobs_failed_total",
      help: "Jobs that ended failed or timed out, by final state",
      labelNames: ["state"],
      registers,
    }),
    jobsCancelled: new Counter({
      name: "hodei_jobs_cancelled_total",
      help: "Jobs that ended cancelled",
      registers,
    }),
    scheduleFires: new Counter({
      name: "hodei_schedule_fires_total",
      help: "Firings of cron schedules, by schedule and outcome (fired, duplicate: found made after a restart, skipped_overlap, missed: dropped by the catch-up policy, failed)",
      labelNames: ["schedule", "outcome"],
      registers,
    }),
    pipelineRunsFinished: new Counter({
      name: "hodei_pipeline_runs_finished_total",
      help: "Pipeline runs that ended, by final state (succeeded, failed, cancelled)",
      labelNames: ["state"],
      registers,
    }),
    jobRunDuration: new Histogram({
      name: "hodei_job_run_duration_seconds",
      help: "How long job attempts ran on their agents, from start to end, by outcome (succeeded, failed, timed_out, cancelled; retried: it failed or lost its worker, and another attempt follows), named queue and handler (empty for a command)",
      labelNames: ["outcome", "queue", "handler"],
      buckets: runBuckets,
      registers,
    }),
    pipelineRunDuration: new Histogram({
      name: "hodei_pipeline_run_duration_seconds",
      help: "How long pipeline runs took, from start to end, by outcome (succeeded, failed, cancelled)",
      labelNames: ["outcome"],
      buckets: runBuckets,
      registers,
    }),
    jobRetries: new Counter({
      name: "hodei_job_retries_total",
      help: "Failed attempts followed by another attempt (the job entered retry_wait)",
      registers,
    }),
    jobsReplaced: new Counter({
      name: "hodei_jobs_replaced_total",
      help: "Placements of a job that had been placed before (lost worker, refused, retry)",
      registers,
    }),
    schedulingDecisions: new Counter({
      name: "hodei_scheduling_decisions_total",
      help: "Placement decisions, first placements and re-placements",
      labelNames: ["kind"],
      registers,
    }),
    schedulingLatency: new Histogram({
      name: "hodei_scheduling_latency_seconds",
      help: "From a job entering the queue to the scheduler reserving a worker for it",
      labelNames: ["kind"],
      buckets: latencyBuckets,
      registers,
    }),
    queueWait: new Histogram({
      name: "hodei_queue_wait_time_seconds",
      help: "Time placed jobs waited in the queue, by priority level",
      labelNames: ["priority"],
      buckets: latencyBuckets,
      registers,
    }),
    workersRegistered: new Counter({
      name: "hodei_workers_registered_total",
      help: "Workers registered under a new id (reconnections not counted)",
      registers,
    }),
    workersLost: new Counter({
      name: "hodei_workers_lost_total",
      help: "Workers declared lost (heartbeats missed past the timeout)",
      registers,
    }),
    httpRequests: new Counter({
      name: "hodei_http_requests_total",
      help: "HTTP requests answered, by method, route template and status",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "hodei_http_request_duration_seconds",
      help: "HTTP request duration until the response is written, by method and route",
      labelNames: ["method", "route"],
      buckets: httpBuckets,
      registers,
    }),
    eventsPublished: new Counter({
      name: "hodei_events_published_total",
      help: "Messages published on the bus, by topic",
      labelNames: ["topic"],
      registers,
      collect() {
        mirror(
          this,
          source.busStats().map((s) => [s.topic, s.published]),
        );
      },
    }),
    eventsReceived: new Counter({
      name: "hodei_events_received_total",
      help: "Messages handed to bus subscribers, by topic",
      labelNames: ["topic"],
      registers,
      collect() {
        mirror(
          this,
          source.busStats().map((s) => [s.topic, s.received]),
        );
      },
    }),
    eventsDropped: new Counter({
      name: "hodei_events_dropped_total",
      help: "Messages discarded by full drop-oldest mailboxes, by topic",
      labelNames: ["topic"],
      registers,
      collect() {
        mirror(
          this,
          source.busStats().map((s) => [s.topic, s.dropped]),
        );
      },
    }),
    metricsMissed: new Counter({
      name: "hodei_metrics_events_missed_total",
      help: "Events the metrics' own subscriptions lost to overload: counts above are short by this",
      labelNames: ["topic"],
      registers,
      collect() {
        mirror(this, source.missed());
      },
    }),
  };

  declareGauges(registry, source, options);
  if (options.processMetrics !== false) collectProcessMetrics(registry);

  // Series that exist from the start read 0 rather than missing, so rates and alerts work.
  for (const state of ["failed", "timed_out"]) metrics.jobsFailed.inc({ state }, 0);
  for (const kind of ["first", "replaced"]) metrics.schedulingDecisions.inc({ kind }, 0);
  for (const state of ["succeeded", "failed", "cancelled"])
    metrics.pipelineRunsFinished.inc({ state }, 0);

  return {
    ...metrics,
    /** One answered request; `route` is the template (`/api/v1/jobs/:id`), never the raw path. */
    observeHttp: (method: string, route: string, status: number, seconds: number): void => {
      metrics.httpRequests.inc({ method, route, status });
      metrics.httpDuration.observe({ method, route }, seconds);
    },
    /** The exposition text, events still in flight folded in first. */
    render: (): Promise<string> => {
      source.beforeScrape();
      return registry.metrics();
    },
    contentType: registry.contentType,
  };
};

export type HodeiMetrics = ReturnType<typeof makeHodeiMetrics>;
