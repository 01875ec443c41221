/**
 * `npm run bench -- store`: 100,000 jobs through the persistence ports, on LMDB and PostgreSQL.
 * Each job is created (`jobs.create`, acknowledged when durable) and then committed four times
 * as its actor's snapshot (`snapshots.saveBatch`): queued, scheduled, running, succeeded — the
 * writes the runtime makes for a job's whole life, each deriving the job's queryable status.
 *
 * Grouped: LANES concurrent writers, each taking CHUNK jobs at a time: CHUNK concurrent creates
 * (the store groups them), then one saveBatch of CHUNK records per transition — what many
 * actors in one runtime round look like. Naive: the same writes one at a time, each its own
 * transaction. "Commit" latency is one grouped write as its caller waits for it (a chunk's
 * creates, or one saveBatch), durable (flushed) on return. Median over RUNS fresh stores.
 */
import { rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { jobSpec } from "../src/domain/decode.ts";
import { newJobId } from "../src/domain/ids.ts";
import { newJob } from "../src/domain/job.ts";
import type { Store } from "../src/persistence/index.ts";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { openPostgresStore } from "../src/persistence/postgres/store.ts";
import type { SnapshotRecord } from "../src/persistence/snapshots.ts";
import { makeDriver } from "../src/runtime/index.ts";
import { jobAddress, jobBehaviour } from "../src/supervisor/kinds.ts";
import { median, percentile, printJson, printTable, round } from "./report.ts";

const JOBS = 100_000;
const NAIVE_JOBS = 1_000;
const CHUNK = 1_000;
const LANES = 4;
const RUNS = 3;
const pgUrl = process.env.HODEI_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const spec = jobSpec({ name: "bench", command: { argv: ["true"] } });

/** One real lifecycle of the job machine, re-addressed for every job (cheap to copy). */
const templates: ReadonlyArray<SnapshotRecord> = (() => {
  const driver = makeDriver(jobBehaviour);
  const at = Date.now();
  let s = driver.initial({
    jobId: "T",
    retry: spec.retry,
    timeoutMs: null,
    cancelGraceMs: 5_000,
    at,
  }).snapshot;
  const out: SnapshotRecord[] = [];
  const push = () =>
    out.push({
      address: "job/T",
      kind: "job",
      version: jobBehaviour.version,
      snapshot: driver.persist(s),
      deadline: driver.deadline(s),
      done: driver.isDone(s),
    });
  push();
  for (const m of [
    { type: "schedule", at: at + 1, workerId: "w1", acceptBy: at + 30_000 },
    { type: "started", at: at + 2, attempt: 1 },
    { type: "succeeded", at: at + 3, attempt: 1, exitCode: 0 },
  ] as const) {
    s = driver.step(s, m).snapshot;
    push();
  }
  return out;
})();

const recordFor = (t: SnapshotRecord, id: string): SnapshotRecord => ({
  ...t,
  address: jobAddress(id),
  snapshot: { ...t.snapshot, context: { ...(t.snapshot.context as object), jobId: id } },
});

interface Figures {
  readonly jobsPerS: number;
  /** This process's CPU (all threads, GC included) per job: steadier than a rate on a shared box. */
  readonly cpuUsPerJob: number;
  readonly commitsMs: ReadonlyArray<number>;
  readonly commits: number;
}

const timed = async (latencies: number[], f: () => Promise<unknown>) => {
  const start = performance.now();
  await f();
  latencies.push(performance.now() - start);
};

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const grouped = async (store: Store, jobs: number): Promise<Figures> => {
  const latencies: number[] = [];
  const cpu = cpuUs();
  const before = store.stats().commits;
  const lane = async (chunks: number) => {
    for (let c = 0; c < chunks; c++) {
      const batch = Array.from({ length: CHUNK }, () => newJob(newJobId(), spec, Date.now()));
      await timed(latencies, () =>
        Promise.all(batch.map((j) => Effect.runPromise(store.jobs.create(j)))),
      );
      for (const t of templates) {
        const records = batch.map((j) => recordFor(t, j.id));
        await timed(latencies, () => Effect.runPromise(store.snapshots.saveBatch(records)));
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: LANES }, () => lane(jobs / CHUNK / LANES)));
  const seconds = (performance.now() - start) / 1000;
  return {
    jobsPerS: jobs / seconds,
    cpuUsPerJob: (cpuUs() - cpu) / jobs,
    commitsMs: latencies,
    commits: store.stats().commits - before,
  };
};

const naive = async (store: Store, jobs: number): Promise<Figures> => {
  const latencies: number[] = [];
  const cpu = cpuUs();
  const before = store.stats().commits;
  const start = performance.now();
  for (let i = 0; i < jobs; i++) {
    const job = newJob(newJobId(), spec, Date.now());
    await timed(latencies, () => Effect.runPromise(store.jobs.create(job)));
    for (const t of templates) {
      const record = recordFor(t, job.id);
      await timed(latencies, () => Effect.runPromise(store.snapshots.saveBatch([record])));
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    jobsPerS: jobs / seconds,
    cpuUsPerJob: (cpuUs() - cpu) / jobs,
    commitsMs: latencies,
    commits: store.stats().commits - before,
  };
};

interface Backend {
  readonly name: string;
  readonly open: () => Promise<{ store: Store; dispose: () => Promise<void> }>;
}

const lmdb: Backend = {
  name: "lmdb",
  open: async () => {
    const path = mkdtempSync(join(tmpdir(), "hodei-bench-"));
    const store = await Effect.runPromise(openLmdbStore({ path }));
    return {
      store,
      dispose: async () => {
        await Effect.runPromise(store.close);
        rmSync(path, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: "pg",
  open: async () => {
    const schema = `hodei_bench_${process.pid}_${Date.now()}`;
    const store = await Effect.runPromise(
      openPostgresStore({ connectionString: pgUrl, schema, poolSize: LANES + 2 }),
    );
    return {
      store,
      dispose: async () => {
        const { default: pg } = await import("pg");
        await Effect.runPromise(store.close);
        const client = new pg.Client(pgUrl);
        await client.connect();
        await client.query(`drop schema "${schema}" cascade`);
        await client.end();
      },
    };
  },
};

const measure = async (backend: Backend, mode: typeof grouped, jobs: number) => {
  const runs: Figures[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { store, dispose } = await backend.open();
    try {
      runs.push(await mode(store, jobs));
    } finally {
      await dispose();
    }
  }
  const all = runs.flatMap((r) => r.commitsMs).sort((a, b) => a - b);
  return {
    jobsPerS: median(runs.map((r) => r.jobsPerS)),
    rates: runs.map((r) => r.jobsPerS),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    commits: median(runs.map((r) => r.commits)),
    cpuUsPerJob: median(runs.map((r) => r.cpuUsPerJob)),
  };
};

type Measured = Awaited<ReturnType<typeof measure>>;

export async function run(): Promise<void> {
  const results: Array<[string, string, number, Measured]> = [];
  const figures: Record<string, { grouped: Measured; naive: Measured } | null> = {};
  for (const backend of [lmdb, postgres]) {
    try {
      const g = await measure(backend, grouped, JOBS);
      const n = await measure(backend, naive, NAIVE_JOBS);
      results.push(
        [backend.name, `grouped (${LANES}×${CHUNK})`, JOBS, g],
        [backend.name, "naive", NAIVE_JOBS, n],
      );
      figures[backend.name] = { grouped: g, naive: n };
    } catch (e) {
      console.log(`${backend.name}: skipped, ${e instanceof Error ? e.message : String(e)}`);
      figures[backend.name] = null;
    }
  }
  printTable(
    `store: jobs created + 4 snapshot commits each, durable; median of ${RUNS} runs`,
    results.map(([store, mode, jobs, m]) => ({
      store,
      mode,
      "jobs/run": jobs,
      "median jobs/s": Math.round(m.jobsPerS),
      "min jobs/s": Math.round(Math.min(...m.rates)),
      "max jobs/s": Math.round(Math.max(...m.rates)),
      "commit p50 ms": round(m.p50),
      "commit p99 ms": round(m.p99),
      "transactions/run": Math.round(m.commits),
      "node CPU µs/job": Math.round(m.cpuUsPerJob),
    })),
  );
  const of = (name: string) => figures[name] ?? null;
  const rate = (name: string) => (of(name) ? Math.round(of(name)!.grouped.jobsPerS) : null);
  const p99 = (name: string) => (of(name) ? round(of(name)!.grouped.p99) : null);
  const ratio = (name: string) =>
    of(name) ? round(of(name)!.grouped.jobsPerS / of(name)!.naive.jobsPerS, 1) : null;
  printJson({
    bench: "store",
    lmdb_jobs_per_s: rate("lmdb"),
    lmdb_commit_p99_ms: p99("lmdb"),
    pg_jobs_per_s: rate("pg"),
    pg_commit_p99_ms: p99("pg"),
    lmdb_vs_naive_ratio: ratio("lmdb"),
    pg_vs_naive_ratio: ratio("pg"),
  });
}
