/**
 * `npm run bench -- schedules`: delayed jobs and cron schedules through the supervisor core on
 * LMDB (a temporary directory each), with no workers and no other load: what is measured ends
 * where a job becomes `queued`.
 *
 * 1. Delayed: N jobs (100,000) submitted in batches with `runAt` spread evenly over a window
 *    (60 s) that starts once they are all in. `delayed_fire_p99_ms`: from each one's due time to
 *    the bus announcing it `queued` (the moment the scheduler has it: that step is announced
 *    before its commit, README "What is durable when"). `delayed_heap_bytes_per_job`: the heap a
 *    pending delayed job holds (a parked actor: one timer), after a full GC, before any is due.
 * 2. Cron: S schedules (1,000), each firing every second (`* * * * * *`, catch-up none) for D
 *    (60 s). From the jobs they made (one per firing, keyed by its due time): `missed_fires`
 *    (due times in the run with no job), `double_fires` (jobs beyond one per key), and
 *    `fire_lag_p99_ms` (due time to the job's creation).
 *
 * Smaller runs for a smoke test: HODEI_BENCH_DELAYED (N), HODEI_BENCH_DELAY_WINDOW_MS,
 * HODEI_BENCH_SCHEDULES (S), HODEI_BENCH_CRON_MS (D); HODEI_BENCH_DELAY_LEAD_MS, the time from the
 * first submit to the first due time (default the larger of 5 s and N/5 ms).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Scope } from "effect";
import { makeMemoryBus } from "../src/bus/index.ts";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { makeSupervisorCore, type SupervisorCore } from "../src/supervisor/core.ts";
import { jobEvents } from "../src/supervisor/topics.ts";
import { gc, percentile, printJson, printTable, round } from "./report.ts";

const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const N = envInt("HODEI_BENCH_DELAYED", 100_000);
const WINDOW = envInt("HODEI_BENCH_DELAY_WINDOW_MS", 60_000);
const S = envInt("HODEI_BENCH_SCHEDULES", 1_000);
const D = envInt("HODEI_BENCH_CRON_MS", 60_000);
const BATCH = 1_000;

const withCore = async <A>(f: (core: SupervisorCore) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-bench-schedules-"));
  const scope = Effect.runSync(Scope.make());
  try {
    const core = await Effect.runPromise(
      Scope.extend(
        Effect.gen(function* () {
          const store = yield* Effect.acquireRelease(openLmdbStore({ path: dir }), (s) => s.close);
          const bus = yield* makeMemoryBus;
          return yield* makeSupervisorCore({ store, bus });
        }),
        scope,
      ),
    );
    return await f(core);
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
    rmSync(dir, { recursive: true, force: true });
  }
};

const delayed = (core: SupervisorCore) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const due = new Map<string, number>();
        const lags: number[] = [];
        const sub = yield* core.bus.subscribe(jobEvents, { capacity: 1 << 20 });
        let allQueued: () => void = () => {};
        const queued = new Promise<void>((r) => (allQueued = r));
        yield* Effect.forkScoped(
          Effect.forever(
            Effect.zipRight(
              sub.awaitMessages,
              Effect.sync(() =>
                sub.drain(1 << 16, (e) => {
                  if (e.state !== "queued") return;
                  const at = due.get(e.jobId);
                  if (at === undefined) return;
                  lags.push(Date.now() - at);
                  due.delete(e.jobId);
                  if (lags.length === N) allQueued();
                }),
              ),
            ),
          ),
        );
        // Due from a moment after the last submit: room for the submits and the reading below.
        const lead = envInt("HODEI_BENCH_DELAY_LEAD_MS", Math.max(5_000, N / 5));
        const start = Date.now() + lead;
        const t0 = performance.now();
        let heap0 = 0;
        for (let i = 0; i < N; i += BATCH) {
          // The first batch warms the code up; the heap is counted from after it.
          if (i === BATCH) {
            gc();
            heap0 = process.memoryUsage().heapUsed;
          }
          const specs = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => ({
            name: "later",
            command: { argv: ["true"] },
            runAt: new Date(start + Math.floor(((i + k) * WINDOW) / N)).toISOString(),
          }));
          yield* core.submitBatch(specs);
        }
        const submitS = (performance.now() - t0) / 1000;
        gc();
        const perJob = (process.memoryUsage().heapUsed - heap0) / (N - BATCH);
        const timers = core.system.stats().timers;
        const live = core.liveJobs();
        // Only now the bench's own bookkeeping: each job's due time, read back from the store.
        let cursor: string | undefined;
        do {
          const page = yield* core.store.jobs.list({
            state: "delayed",
            limit: 1000,
            ...(cursor ? { cursor } : {}),
          });
          for (const j of page.jobs) due.set(j.id, Date.parse(j.spec.runAt!));
          cursor = page.next ?? undefined;
        } while (cursor !== undefined);
        // Its garbage collected now, not in the measured path's first pauses.
        gc();
        if (Date.now() >= start || due.size !== N)
          console.warn(`warning: ${due.size} of ${N} delayed when the first was due`);
        yield* Effect.promise(() => queued);
        const sorted = lags.sort((a, b) => a - b);
        return {
          jobs: N,
          submitS: round(submitS),
          timers,
          liveActorsBeforeDue: live,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted.at(-1) ?? Number.NaN,
          heapPerJob: round(perJob, 0),
        };
      }),
    ),
  );

const cron = (core: SupervisorCore) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const names = Array.from({ length: S }, (_, i) => `every-second-${i}`);
      for (const name of names) {
        yield* core.schedules.create({
          name,
          cron: "* * * * * *",
          job: { name, command: { argv: ["true"] } },
          overlap: "allow",
          catchUp: "none",
        });
      }
      const from = Date.now();
      yield* Effect.sleep(D);
      const until = Date.now();
      for (const name of names) yield* core.schedules.pause(name);
      const keys = new Map<string, number>();
      const lags: number[] = [];
      let cursor: string | undefined;
      do {
        const page = yield* core.store.jobs.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
        for (const j of page.jobs) {
          const key = j.spec.idempotencyKey ?? "";
          keys.set(key, (keys.get(key) ?? 0) + 1);
          const at = Date.parse(key.slice(key.lastIndexOf("/") + 1));
          lags.push(j.createdAt - at);
        }
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
      // Every whole second after all were created, up to a second before the end.
      let missed = 0;
      for (let t = Math.ceil(from / 1000) * 1000; t <= until - 1_000; t += 1000) {
        const iso = new Date(t).toISOString();
        for (const name of names) if (!keys.has(`schedule/${name}/${iso}`)) missed++;
      }
      const doubles = [...keys.values()].reduce((n, c) => n + c - 1, 0);
      const sorted = lags.sort((a, b) => a - b);
      return {
        schedules: S,
        seconds: round((until - from) / 1000, 1),
        fires: lags.length,
        missed,
        doubles,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? Number.NaN,
      };
    }),
  );

export const run = async (): Promise<void> => {
  const d = await withCore(delayed);
  printTable(`delayed jobs: ${N} due over ${WINDOW / 1000} s (LMDB, no workers)`, [
    {
      jobs: d.jobs,
      "submit s": d.submitS,
      "timers armed": d.timers,
      "live job actors": d.liveActorsBeforeDue,
      "heap B/job": d.heapPerJob,
      "fire p50 ms": d.p50,
      "fire p99 ms": d.p99,
      "fire max ms": d.max,
    },
  ]);
  const c = await withCore(cron);
  printTable(`cron: ${S} schedules every second for ${D / 1000} s (LMDB, no workers)`, [
    {
      schedules: c.schedules,
      seconds: c.seconds,
      fires: c.fires,
      missed: c.missed,
      double: c.doubles,
      "lag p50 ms": c.p50,
      "lag p99 ms": c.p99,
      "lag max ms": c.max,
    },
  ]);
  printJson({
    bench: "schedules",
    delayed_jobs: N,
    delayed_fire_p99_ms: d.p99,
    delayed_heap_bytes_per_job: d.heapPerJob,
    schedules: S,
    missed_fires: c.missed,
    double_fires: c.doubles,
    fire_lag_p99_ms: c.p99,
  });
};
