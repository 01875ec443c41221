/**
 * `npm run bench -- compare`: the same no-op jobs through Hodei and through BullMQ, one after the
 * other in one run on this machine, each set up the same way:
 * - the server in a process of its own: Hodei's supervisor on LMDB (fixtures/supervisor-child.ts,
 *   `createSupervisor`, what `hodei serve` runs) and the Redis the machine already runs on
 *   127.0.0.1:6379 (this bench starts none: without one it says so and exits 1);
 * - the workers in processes of their own: 2 Hodei agents (fixtures/marking-agent.ts, real
 *   gRPC, 256 jobs at once each) and 1 BullMQ `Worker` with concurrency 50
 *   (fixtures/bullmq-worker.ts), both running the same handler, which only notes when it
 *   started (fixtures/start-marks.ts);
 * - the client in this process, submitting `N` jobs in batches of `BATCH`, `IN_FLIGHT` batches
 *   outstanding at once (fixtures/batch-submit.ts): Hodei's `POST /api/v1/jobs/batch` (one HTTP
 *   request, one commit: every job durable, with its row, when the 201 comes) against BullMQ's
 *   `Queue.addBulk` (BullMQ 6: one Redis pipeline carrying its add-job script once per job, over
 *   one connection, answered when Redis has run them all; Redis keeps them in memory, as it
 *   runs here with no fsync per write). Completed jobs are kept by both (BullMQ's default; Hodei keeps every job).
 * Figures:
 * - jobs/s: from the first batch sent to the N-th result recorded by the server (Hodei: the
 *   `succeeded` state committed, counted from the supervisor's job events; BullMQ: the Worker's
 *   `completed` event, which comes after Redis has moved the job to completed);
 * - add→start p50/p99: one job at a time with idle workers (Hodei `POST /api/v1/jobs`, BullMQ
 *   `Queue.add`), from the call to the handler starting, both on the machine's monotonic clock;
 *   as bench/hwp.ts's `submit_to_start` and as BullMQ's usual figure;
 * - the same under load: for each of the N jobs, from its batch being sent to its start.
 * Each system gets `WARMUP` jobs first, not counted. A unique BullMQ queue per run, obliterated
 * at the end. A wait longer than `HODEI_BENCH_COMPARE_STALL_S` (600) fails the run with the
 * counts so far, instead of hanging. `HODEI_BENCH_COMPARE_N`, `HODEI_BENCH_LATENCY_SAMPLES` and
 * `HODEI_BENCH_COMPARE_WARMUP` shrink it for a smoke run.
 */
import { submitInBatches, type Submitted } from "./fixtures/batch-submit.ts";
import {
  bullmqSystem,
  hodeiSystem,
  redisProblem,
  within,
  type System,
} from "./fixtures/compare-systems.ts";
import { collectMarks } from "./fixtures/line-process.ts";
import { monotonicUs } from "./fixtures/supervisor-ipc.ts";
import { percentile, printJson, printTable, round } from "./report.ts";

const N = Number(process.env["HODEI_BENCH_COMPARE_N"] ?? 20_000);
const LATENCY_SAMPLES = Number(process.env["HODEI_BENCH_LATENCY_SAMPLES"] ?? 300);
const WARMUP = Number(process.env["HODEI_BENCH_COMPARE_WARMUP"] ?? 2_000);
/** Hodei's largest batch (api/schemas.ts `maxBatchSize`); BullMQ gets the same. */
const BATCH = 1_000;
const IN_FLIGHT = 4;
const REDIS_URL = process.env["HODEI_BENCH_REDIS_URL"] ?? "redis://127.0.0.1:6379";

interface Side {
  readonly jobsPerS: number;
  readonly idle: ReadonlyArray<number>;
  readonly loaded: ReadonlyArray<number>;
}

/** The run both systems go through: warm-up, throughput, then idle latency one job at a time. */
const measure = async (sys: System): Promise<Side> => {
  const batches = (first: number, n: number): Promise<Submitted> =>
    submitInBatches({ n, size: BATCH, inFlight: IN_FLIGHT }, (f, count) =>
      sys.sendBatch(first + f, count),
    );
  // Warm-up: indices past the measured ones, so their marks are left out.
  const warm = N + LATENCY_SAMPLES;
  if (WARMUP > 0) {
    await batches(warm, WARMUP);
    await sys.completed(WARMUP);
  }
  const t0 = performance.now();
  const submitted = await batches(0, N);
  await sys.completed(WARMUP + N);
  const jobsPerS = N / ((performance.now() - t0) / 1000);

  const idle: number[] = [];
  for (let k = 0; k < LATENCY_SAMPLES; k++) {
    const i = N + k;
    const started = Promise.race(sys.workers.map((w) => w.next(`started ${i} `)));
    const at = monotonicUs();
    await sys.sendOne(i);
    const line = await within(`job ${i} to start`, started, async () => "its start never came");
    idle.push((Number(line.split(" ")[2]) - at) / 1000);
    await sys.completed(WARMUP + N + k + 1);
  }
  const startedUs = await collectMarks(sys.workers, N);
  const loaded = Array.from(submitted.submittedUs, (at, i) => (startedUs[i]! - at) / 1000);
  const sort = (xs: number[]) => xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return { jobsPerS, idle: sort(idle), loaded: sort(loaded) };
};

export const run = async (): Promise<void> => {
  const problem = await redisProblem(REDIS_URL);
  if (problem !== undefined) {
    console.error(
      `compare: Redis does not answer at ${REDIS_URL} (${problem}).\n` +
        "This bench starts nothing itself: start Redis on this machine (e.g. `redis-server " +
        "--daemonize yes`) or point HODEI_BENCH_REDIS_URL at one, then run it again.",
    );
    process.exit(1);
  }
  const h = await hodeiSystem(measure);
  const b = await bullmqSystem(REDIS_URL, measure);
  const ms = (xs: ReadonlyArray<number>, p: number) => round(percentile(xs, p), 2);
  printTable(`compare: ${N} no-op jobs, batches of ${BATCH}, ${IN_FLIGHT} in flight`, [
    {
      system: "hodei (LMDB, 2 agents)",
      "jobs/s": round(h.jobsPerS, 0),
      "add→start p50 ms": ms(h.idle, 50),
      "p99 ms": ms(h.idle, 99),
      "under load p50 ms": ms(h.loaded, 50),
      "under load p99 ms": ms(h.loaded, 99),
    },
    {
      system: "bullmq (Redis, 1 worker ×50)",
      "jobs/s": round(b.jobsPerS, 0),
      "add→start p50 ms": ms(b.idle, 50),
      "p99 ms": ms(b.idle, 99),
      "under load p50 ms": ms(b.loaded, 50),
      "under load p99 ms": ms(b.loaded, 99),
    },
  ]);
  printJson({
    bench: "compare",
    jobs: N,
    hodei_jobs_per_s: round(h.jobsPerS, 0),
    bullmq_jobs_per_s: round(b.jobsPerS, 0),
    ratio_vs_bullmq: round(h.jobsPerS / b.jobsPerS, 2),
    hodei_submit_to_start_p50_ms: ms(h.idle, 50),
    hodei_submit_to_start_p99_ms: ms(h.idle, 99),
    bullmq_add_to_start_p50_ms: ms(b.idle, 50),
    bullmq_add_to_start_p99_ms: ms(b.idle, 99),
    hodei_submit_to_start_under_load_p50_ms: ms(h.loaded, 50),
    hodei_submit_to_start_under_load_p99_ms: ms(h.loaded, 99),
    bullmq_add_to_start_under_load_p50_ms: ms(b.loaded, 50),
    bullmq_add_to_start_under_load_p99_ms: ms(b.loaded, 99),
  });
};
