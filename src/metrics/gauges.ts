/**
 * The gauges: state read at scrape time from a `MetricsSource` (the scheduler's view of the
 * workers, the queue, the core, the bus), so they are always current and cost nothing between
 * scrapes. Per-worker series are rebuilt at every scrape: a worker that is gone disappears.
 */
import { Gauge, type Registry } from "prom-client";
import type { TopicStats } from "../bus/index.ts";
import type { WorkerView } from "../scheduler/cluster-state.ts";

/** A named queue as the gauges read it. */
export interface QueueGaugeView {
  readonly name: string;
  readonly paused: boolean;
  readonly queued: number;
  readonly running: number;
  readonly rateLimited: number;
}

/** What the scrape-time gauges read; live.ts builds it from the supervisor core. */
export interface MetricsSource {
  readonly workers: () => ReadonlyArray<WorkerView>;
  /** Jobs waiting in the scheduler's queue. */
  readonly queued: () => number;
  /** Named queues: the default one, configured ones and ones with jobs. */
  readonly queues: () => ReadonlyArray<QueueGaugeView>;
  /** Jobs holding a reservation on a worker (scheduled, running, cancelling). */
  readonly placed: () => number;
  /** Unfinished jobs the supervisor holds. */
  readonly live: () => number;
  readonly busStats: () => ReadonlyArray<TopicStats>;
  /** Messages the metrics' own subscriptions lost to drop-oldest, by topic. */
  readonly missed: () => ReadonlyArray<readonly [topic: string, dropped: number]>;
  /** The supervisor clock (epoch ms), for heartbeat lag. */
  readonly now: () => number;
  /** Runs before every scrape: live.ts folds in the events still waiting in its mailboxes. */
  readonly beforeScrape: () => void;
}

export interface MetricsOptions {
  readonly legacyMemoryMb?: boolean;
  /** The process's CPU, memory, event loop and GC metrics (process-metrics.ts); default true. */
  readonly processMetrics?: boolean;
}

/**
 * A gauge exposed as `untyped`: for `hodei_workers_total`, a count of things now whose name
 * ends in `_total`, which promtool refuses from a gauge.
 */
class UntypedGauge<T extends string> extends Gauge<T> {
  override async get() {
    const metric = await super.get();
    return { ...metric, type: "untyped" as unknown as typeof metric.type };
  }
}

export const declareGauges = (
  registry: Registry,
  source: MetricsSource,
  options: MetricsOptions,
): void => {
  const registers = [registry];
  const perWorker = (name: string, help: string, value: (w: WorkerView) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["worker"],
      registers,
      collect() {
        this.reset();
        for (const w of source.workers()) {
          const v = value(w);
          if (v !== undefined) this.set({ worker: w.id }, v);
        }
      },
    });

  new Gauge({
    name: "hodei_event_bus_subscribers",
    help: "Bus subscriptions, by topic",
    labelNames: ["topic"],
    registers,
    collect() {
      this.reset();
      for (const s of source.busStats()) this.set({ topic: s.topic }, s.subscribers);
    },
  });
  new Gauge({
    name: "hodei_jobs_queued",
    help: "Jobs waiting for placement",
    registers,
    collect() {
      this.set(source.queued());
    },
  });
  new Gauge({
    name: "hodei_queue_size",
    help: "Entries in the scheduler's priority queue (the original design's name for jobs_queued)",
    registers,
    collect() {
      this.set(source.queued());
    },
  });
  const perQueue = (name: string, help: string, value: (q: QueueGaugeView) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["queue"],
      registers,
      collect() {
        this.reset();
        for (const q of source.queues()) this.set({ queue: q.name }, value(q));
      },
    });
  perQueue("hodei_queue_depth", "Jobs waiting in each named queue", (q) => q.queued);
  perQueue(
    "hodei_queue_running",
    "Jobs of each named queue holding a worker (scheduled, running or cancelling)",
    (q) => q.running,
  );
  perQueue("hodei_queue_paused", "1 when the named queue is paused, else 0", (q) =>
    q.paused ? 1 : 0,
  );
  perQueue(
    "hodei_jobs_rate_limited",
    "Queued jobs of each named queue held by a rate limit (the queue's or a key's)",
    (q) => q.rateLimited,
  );
  new Gauge({
    name: "hodei_jobs_placed",
    help: "Jobs holding a reservation on a worker (scheduled, running or cancelling)",
    registers,
    collect() {
      this.set(source.placed());
    },
  });
  new Gauge({
    name: "hodei_jobs_live",
    help: "Unfinished jobs the supervisor holds",
    registers,
    collect() {
      this.set(source.live());
    },
  });
  new Gauge({
    name: "hodei_workers_healthy",
    help: "Workers heartbeating in time and not draining",
    registers,
    collect() {
      this.set(source.workers().filter((w) => w.healthy && !w.draining).length);
    },
  });
  new UntypedGauge({
    name: "hodei_workers_total",
    help: "Workers the scheduler knows, by condition (healthy, draining, lost)",
    labelNames: ["condition"],
    registers,
    collect() {
      const counts = { healthy: 0, draining: 0, lost: 0 };
      for (const w of source.workers()) {
        if (!w.healthy) counts.lost++;
        else if (w.draining) counts.draining++;
        else counts.healthy++;
      }
      for (const [condition, n] of Object.entries(counts)) this.set({ condition }, n);
    },
  });
  perWorker(
    "hodei_cpu_usage_percent",
    "Whole-machine CPU use each worker last reported, 0-100",
    (w) => w.telemetry?.cpuPercent,
  );
  perWorker("hodei_memory_usage_bytes", "Memory in use each worker last reported", (w) =>
    w.telemetry ? w.telemetry.memoryUsedMb * 2 ** 20 : undefined,
  );
  if (options.legacyMemoryMb === true) {
    perWorker(
      "hodei_memory_usage_mb",
      "Memory in use each worker last reported, in MiB (legacy name: fails promtool's lint)",
      (w) => w.telemetry?.memoryUsedMb,
    );
  }
  perWorker(
    "hodei_worker_heartbeat_lag_seconds",
    "Time since each worker's last heartbeat",
    (w) => Math.max(0, source.now() - w.lastHeartbeatAt) / 1000,
  );
  new Gauge({
    name: "hodei_worker_free_capacity",
    help: "Capacity minus reservations on each worker, by resource (cpu_millis, memory_mb, gpus, jobs)",
    labelNames: ["worker", "resource"],
    registers,
    collect() {
      this.reset();
      for (const w of source.workers()) {
        const { capacity: c, reserved: r } = w;
        this.set({ worker: w.id, resource: "cpu_millis" }, c.cpuMillis - r.cpuMillis);
        this.set({ worker: w.id, resource: "memory_mb" }, c.memoryMb - r.memoryMb);
        this.set({ worker: w.id, resource: "gpus" }, c.gpus - r.gpus);
        this.set({ worker: w.id, resource: "jobs" }, c.maxJobs - r.jobs);
      }
    },
  });
};
