/**
 * Hooks the metrics to a running supervisor core, through its narrow ports (supervisor/ports.ts):
 * counters follow the bus topics, gauges read the scheduler's view, the queue and the bus's
 * counters at scrape time (a worker's reservations, telemetry and heartbeat age are not
 * events: they are read where they are kept).
 *
 * Each topic gets one subscription, drained by a fiber as messages arrive and once more,
 * synchronously, before every scrape — so a scrape taken after a run has settled shows every
 * event of it, with no waiting. The topics drop their oldest message for a slow subscriber
 * rather than slow the supervisor; the subscriptions are large (64 Ki messages), and whatever
 * is dropped anyway is exposed as `hodei_metrics_events_missed_total{topic}`.
 *
 * Run durations: an attempt runs from its job entering `running` to the state it leaves that for
 * (the job's end, or `retry_wait` when it failed or lost its worker with attempts left); a
 * pipeline run from its
 * start to its end. Only what started in this process is timed: a job or run already going when
 * the supervisor restarted is not (its start was seen by the process before). The start times
 * are kept only while a job runs or a run goes on.
 *
 * Scheduling latency is taken from the placement events' `waitedMs`: the time from a job
 * entering the queue to the pass that reserved a worker for it (the pass itself is not timed:
 * it runs inside the scheduler actor, where a pass over 10,000 workers takes microseconds, far
 * below a histogram's useful resolution next to the queueing).
 */
import { Effect, type Scope } from "effect";
import type { Message, Subscription, Topic } from "../bus/index.ts";
import { priorityLevelOf } from "../domain/priority.ts";
import type { SupervisorCore } from "../supervisor/core.ts";
import {
  jobEvents,
  placementEvents,
  runEvents,
  scheduleEvents,
  workerEvents,
  type JobEvent,
  type PlacementEvent,
  type RunEvent,
  type WorkerEvent,
} from "../supervisor/topics.ts";
import { makeHodeiMetrics, type HodeiMetrics, type MetricsOptions } from "./metrics.ts";

const subscriptionCapacity = 1 << 16;

/** What ending a run in `state` says about the attempt; undefined: it goes on (cancelling). */
const attemptOutcome: Partial<Record<JobEvent["state"], string>> = {
  succeeded: "succeeded",
  failed: "failed",
  timed_out: "timed_out",
  cancelled: "cancelled",
  retry_wait: "retried",
};

const onJob = (m: HodeiMetrics, running: Map<string, number>) => (e: Message<JobEvent>) => {
  if (e.state === "running") running.set(e.jobId, e.at);
  else {
    const started = running.get(e.jobId);
    const outcome = attemptOutcome[e.state];
    if (started !== undefined && outcome !== undefined) {
      running.delete(e.jobId);
      // A command job's handler label is empty.
      const labels = { outcome, queue: e.queue, handler: e.handler ?? "" };
      m.jobRunDuration.observe(labels, Math.max(0, e.at - started) / 1000);
    }
  }
  switch (e.state) {
    case "queued":
      if (e.attempt === 0) m.jobsAccepted.inc();
      return;
    case "retry_wait":
      m.jobRetries.inc();
      return;
    case "succeeded":
      m.jobsCompleted.inc();
      return;
    case "failed":
    case "timed_out":
      m.jobsFailed.inc({ state: e.state });
      return;
    case "cancelled":
      m.jobsCancelled.inc();
      return;
  }
};

const onWorker = (m: HodeiMetrics) => (e: Message<WorkerEvent>) => {
  if (e.state === "registering") m.workersRegistered.inc();
  else if (e.state === "lost") m.workersLost.inc();
};

const onRun = (m: HodeiMetrics, going: Map<string, number>) => (e: Message<RunEvent>) => {
  if (e.state === "running") {
    if (!going.has(e.runId)) going.set(e.runId, e.at);
    return;
  }
  m.pipelineRunsFinished.inc({ state: e.state });
  const started = going.get(e.runId);
  going.delete(e.runId);
  if (started !== undefined)
    m.pipelineRunDuration.observe({ outcome: e.state }, Math.max(0, e.at - started) / 1000);
};

const onPlacement = (m: HodeiMetrics) => (e: Message<PlacementEvent>) => {
  const kind = e.replaced ? "replaced" : "first";
  const seconds = Math.max(0, e.waitedMs) / 1000;
  m.jobsScheduled.inc();
  m.schedulingDecisions.inc({ kind });
  m.schedulingLatency.observe({ kind }, seconds);
  m.queueWait.observe({ priority: priorityLevelOf(e.priority) }, seconds);
  if (e.replaced) m.jobsReplaced.inc();
};

interface Follower {
  readonly subscription: Subscription<unknown>;
  readonly drain: () => void;
}

const follow = <A>(core: SupervisorCore, topic: Topic<A>, handle: (m: Message<A>) => void) =>
  Effect.gen(function* () {
    const subscription = yield* core.events.subscribe(topic, { capacity: subscriptionCapacity });
    const drain = () => {
      while (subscription.drain(4096, handle) > 0) {
        // Until the mailbox is empty.
      }
    };
    yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(subscription.awaitMessages, Effect.sync(drain))).pipe(
        Effect.catchTag("BusClosed", () => Effect.void),
      ),
    );
    return { subscription: subscription as Subscription<unknown>, drain } satisfies Follower;
  });

/**
 * The metrics of `core`, live for as long as the Scope: closing it unsubscribes. One per
 * process: every call builds its own registry.
 */
export const attachMetrics = (
  core: SupervisorCore,
  options: MetricsOptions = {},
): Effect.Effect<HodeiMetrics, never, Scope.Scope> =>
  Effect.gen(function* () {
    const followers: Follower[] = [];
    const metrics = makeHodeiMetrics(
      {
        workers: () => core.workers.views(),
        queued: () => core.scheduling.queued(),
        queues: () => core.queues.list(),
        placed: () => core.scheduling.placed(),
        live: () => core.liveJobs(),
        busStats: () => core.events.stats(),
        missed: () => followers.map((f) => [f.subscription.topic.name, f.subscription.dropped]),
        now: () => core.now(),
        beforeScrape: () => {
          for (const f of followers) f.drain();
        },
      },
      options,
    );
    followers.push(
      yield* follow(core, jobEvents, onJob(metrics, new Map())),
      yield* follow(core, workerEvents, onWorker(metrics)),
      yield* follow(core, placementEvents, onPlacement(metrics)),
      yield* follow(core, runEvents, onRun(metrics, new Map())),
      yield* follow(core, scheduleEvents, (e) =>
        metrics.scheduleFires.inc({ schedule: e.schedule, outcome: e.outcome }, e.count),
      ),
    );
    return metrics;
  });
