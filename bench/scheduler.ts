/**
 * `npm run bench -- scheduler`: 10,000 registered workers of mixed sizes and labels, 100,000
 * queued jobs. Measures placement decisions (each one filter + score + reservation), heartbeats
 * with telemetry, the heap of 10,000 workers, and the time from a worker's missed deadline to
 * all of its 1,000 jobs being queued again. Sampling is compared with full scans in the same
 * run: decisions/s and how many jobs each placed.
 */
import {
  defaultSchedulerConfig,
  Scheduler,
  type QueuedJob,
  type SchedulerConfig,
} from "../src/scheduler/index.ts";
import { gc, percentile, printJson, printTable, round } from "./report.ts";

const WORKERS = 10_000;
const JOBS = 100_000;

const sizes = [
  { cpuMillis: 4_000, memoryMb: 8_192, gpus: 0, maxJobs: 16 },
  { cpuMillis: 8_000, memoryMb: 32_768, gpus: 0, maxJobs: 32 },
  { cpuMillis: 16_000, memoryMb: 65_536, gpus: 2, maxJobs: 64 },
] as const;
const zones = ["a", "b", "c"] as const;

const register = (s: Scheduler, n: number): void => {
  for (let i = 0; i < n; i++) {
    const size = sizes[i % sizes.length]!;
    const labels: Record<string, string> = { zone: zones[i % 3]! };
    if (size.gpus > 0) labels["gpu"] = "true";
    s.handle({
      type: "register",
      workerId: `w${i}`,
      capacity: size,
      labels,
      handlers: i % 2 === 0 ? ["resize-image"] : [],
      at: 0,
    });
  }
};

const job = (i: number, at: number): QueuedJob => ({
  jobId: `j${i}`,
  demand: {
    cpuMillis: [100, 250, 500, 1000][i % 4]!,
    memoryMb: [64, 256, 512][i % 3]!,
    gpus: i % 50 === 0 ? 1 : 0,
  },
  labels: i % 50 === 0 ? { gpu: "true" } : i % 7 === 0 ? { zone: zones[i % 3]! } : {},
  constraints: [],
  handler: i % 10 === 0 ? "resize-image" : undefined,
  priority: [250, 500, 750][i % 3]!,
  concurrencyKey: undefined,
  strategy: undefined,
  queue: "default",
  rateLimit: undefined,
  enqueuedAt: at,
});

const decisions = (config: SchedulerConfig) => {
  const s = new Scheduler(config);
  register(s, WORKERS);
  for (let i = 0; i < JOBS; i++) s.handle({ type: "enqueue", job: job(i, i) });
  s.schedule(0); // the fresh-jobs pass decides every queued job once
  // Per-decision timing: re-run placement one job at a time on a second scheduler.
  const t = new Scheduler(config);
  register(t, WORKERS);
  const lat: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    t.handle({ type: "enqueue", job: job(i, i) });
    const a = process.hrtime.bigint();
    t.schedule(i);
    lat.push(Number(process.hrtime.bigint() - a) / 1000);
  }
  lat.sort((a, b) => a - b);
  const bulk = new Scheduler(config);
  register(bulk, WORKERS);
  for (let i = 0; i < JOBS; i++) bulk.handle({ type: "enqueue", job: job(i, i) });
  const start = performance.now();
  const placed = bulk.schedule(JOBS).length;
  const seconds = (performance.now() - start) / 1000;
  // Placement quality for spread: how even the load ended up (a lower spread of shares is better).
  const shares = bulk.workers().map((w) => w.reserved.cpuMillis / w.capacity.cpuMillis);
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  const sd = Math.sqrt(shares.reduce((a, b) => a + (b - mean) ** 2, 0) / shares.length);
  return {
    placed,
    perS: placed / seconds,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    leftQueued: bulk.queue.size,
    maxShare: Math.max(...shares),
    sdShare: sd,
  };
};

const heartbeats = (): { p99: number } => {
  const s = new Scheduler();
  register(s, WORKERS);
  const lat: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < WORKERS; i++) {
      const telemetry = {
        cpuPercent: (i * 7) % 100,
        memoryUsedMb: 1000 + i,
        memoryTotalMb: 8192,
        load1: 0.5,
        diskFreeMb: 50_000,
        runningJobs: i % 5,
        at: round,
      };
      const a = process.hrtime.bigint();
      s.handle({ type: "heartbeat", workerId: `w${i}`, telemetry, at: round * 1000 + i });
      lat.push(Number(process.hrtime.bigint() - a) / 1000);
    }
  }
  lat.sort((a, b) => a - b);
  return { p99: percentile(lat, 99) };
};

const heapOfWorkers = (): number => {
  gc();
  const before = process.memoryUsage().heapUsed;
  const s = new Scheduler();
  register(s, WORKERS);
  for (let i = 0; i < WORKERS; i++) {
    s.heartbeat(
      `w${i}`,
      {
        cpuPercent: 10,
        memoryUsedMb: 100,
        memoryTotalMb: 8192,
        load1: 0.1,
        diskFreeMb: 1000,
        runningJobs: 0,
        at: 0,
      },
      0,
    );
  }
  gc();
  const mb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  if (s.state.size !== WORKERS) throw new Error("workers missing");
  return mb;
};

const requeue = (): number => {
  const s = new Scheduler();
  s.handle({
    type: "register",
    workerId: "big",
    capacity: { cpuMillis: 1_000_000, memoryMb: 1_000_000, gpus: 0, maxJobs: 1_000 },
    labels: {},
    handlers: [],
    at: 0,
  });
  for (let i = 0; i < 1_000; i++)
    s.handle({
      type: "enqueue",
      job: {
        ...job(i, 0),
        labels: {},
        handler: undefined,
        demand: { cpuMillis: 100, memoryMb: 64, gpus: 0 },
      },
    });
  if (s.schedule(0).length !== 1_000) throw new Error("setup: not every job placed");
  register(s, 100);
  const a = process.hrtime.bigint();
  const jobs = s.lost("big", 30_000);
  const ms = Number(process.hrtime.bigint() - a) / 1e6;
  if (jobs.length !== 1_000 || s.queue.size !== 1_000)
    throw new Error("not every job queued again");
  return ms;
};

export const run = async (): Promise<void> => {
  const sampled = decisions(defaultSchedulerConfig);
  const scanned = decisions({ ...defaultSchedulerConfig, samples: 0 });
  const hb = heartbeats();
  const heaps = [heapOfWorkers(), heapOfWorkers(), heapOfWorkers()].sort((a, b) => a - b);
  const requeues = [requeue(), requeue(), requeue(), requeue(), requeue()].sort((a, b) => a - b);
  printTable(`scheduler: ${WORKERS} workers, ${JOBS} queued jobs (spread)`, [
    {
      search: `sampling (best of ${defaultSchedulerConfig.samples} feasible)`,
      "decisions/s": Math.round(sampled.perS),
      "decision p50 µs": round(sampled.p50),
      "decision p99 µs": round(sampled.p99),
      placed: sampled.placed,
      "left queued": sampled.leftQueued,
      "max CPU share": round(sampled.maxShare, 3),
      "sd of CPU shares": round(sampled.sdShare, 3),
    },
    {
      search: "full scan",
      "decisions/s": Math.round(scanned.perS),
      "decision p50 µs": round(scanned.p50),
      "decision p99 µs": round(scanned.p99),
      placed: scanned.placed,
      "left queued": scanned.leftQueued,
      "max CPU share": round(scanned.maxShare, 3),
      "sd of CPU shares": round(scanned.sdShare, 3),
    },
  ]);
  printTable("heartbeats, memory, loss", [
    { figure: "heartbeat p99 µs (10,000 with telemetry, x3)", value: round(hb.p99, 3) },
    { figure: "heap of 10,000 workers MB (median of 3)", value: round(heaps[1]!) },
    {
      figure: "missed deadline → 1,000 jobs queued again, ms (median of 5)",
      value: round(requeues[2]!, 3),
    },
  ]);
  printJson({
    bench: "scheduler",
    decisions_per_s: Math.round(sampled.perS),
    decision_p50_us: round(sampled.p50),
    decision_p99_us: round(sampled.p99),
    heartbeat_p99_us: round(hb.p99, 3),
    heap_10k_workers_mb: round(heaps[1]!),
    requeue_after_deadline_ms: round(requeues[2]!, 3),
  });
};
