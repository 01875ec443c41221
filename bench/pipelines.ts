/**
 * `npm run bench -- pipelines`: 1,000 runs of a 10-step diamond (one step, eight in parallel
 * that need it, one that needs the eight) of no-op handler jobs, through the supervisor (core +
 * HWP, in this process, LMDB) and 2 agent processes on loopback.
 *
 * Figures: runs/s with `HODEI_BENCH_RUN_LANES` runs in flight (default 32); and the step
 * overhead, for every step with needs: from its last need's success to its own job running on
 * an agent (`step_overhead_*`), and to its job being created (`submit_overhead_*`). Both are
 * read from the committed job records after the runs: the transitions' clock times.
 * A second pass runs one run at a time, idle agents waiting, for the overhead alone. Both come
 * after `HODEI_BENCH_PIPELINES_WARMUP` runs (default 300) that are not measured: as in the hwp
 * bench, a fresh process runs its first pipelines while V8 still compiles their paths, and its
 * compiler threads take the same two cores as the runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Effect, Either, Exit, Scope } from "effect";
import { loadConfig } from "../src/config.ts";
import type { Job } from "../src/domain/job.ts";
import { pipeline } from "../src/pipeline/dag.ts";
import { makeLogger } from "../src/supervisor/logger.ts";
import { startSupervisor } from "../src/supervisor/process.ts";
import { percentile, printJson, printTable, round } from "./report.ts";

const RUNS = Number(process.env["HODEI_BENCH_RUNS"] ?? 1_000);
const SERIAL_RUNS = Number(process.env["HODEI_BENCH_SERIAL_RUNS"] ?? 100);
const LANES = Number(process.env["HODEI_BENCH_RUN_LANES"] ?? 32);
const WARMUP_RUNS = Number(process.env["HODEI_BENCH_PIPELINES_WARMUP"] ?? 300);
const TOKEN = "bench-token";

const noop = { handler: { name: "noop", input: null } };
const diamond = pipeline("diamond")
  .step("a", noop)
  .matrix("b", { i: [1, 2, 3, 4, 5, 6, 7, 8] }, () => ({ needs: ["a"], ...noop }))
  .step("z", { needs: ["b"], ...noop });

const at = (job: Job, state: string) => job.transitions.find((t) => t.state === state)?.at;

/** Overheads of one finished run, from its jobs' committed transitions. */
const overheads = (jobs: ReadonlyArray<Job>) => {
  const byStep = new Map(jobs.map((j) => [j.pipelineStep, j]));
  const out: Array<{ running: number; created: number }> = [];
  for (const p of diamond.plan) {
    if (p.needs.length === 0) continue;
    const job = byStep.get(p.name);
    const ready = Math.max(...p.needs.map((n) => at(byStep.get(n)!, "succeeded") ?? NaN));
    const running = job && at(job, "running");
    if (job === undefined || running === undefined || Number.isNaN(ready)) continue;
    out.push({ running: running - ready, created: job.createdAt - ready });
  }
  return out;
};

export const run = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-bench-pipelines-"));
  const config = Either.getOrThrow(
    loadConfig(
      { grpc: "127.0.0.1:0", dataDir: dir, workerToken: TOKEN, shutdownGraceMs: "1000" },
      {},
    ),
  );
  const scope = Effect.runSync(Scope.make());
  const agents: ChildProcess[] = [];
  try {
    const started = startSupervisor(config, makeLogger("warn"), undefined, [diamond]);
    const { core, grpcAddress } = await Effect.runPromise(Scope.extend(started, scope));
    for (const i of [1, 2]) {
      const p = spawn(process.execPath, ["--import", "tsx", "bench/fixtures/noop-agent.ts"], {
        stdio: ["ignore", "pipe", "inherit"],
        env: {
          ...process.env,
          HODEI_URL: grpcAddress,
          HODEI_WORKER_TOKEN: TOKEN,
          HODEI_BENCH_NAME: `a${i}`,
        },
      });
      agents.push(p);
      await new Promise<void>((ok) =>
        createInterface({ input: p.stdout! }).on("line", (l) => l === "ready" && ok()),
      );
    }
    const one = async () => {
      const r = await Effect.runPromise(core.pipelines.start("diamond", null));
      const done = await Effect.runPromise(core.pipelines.finished(r.id));
      if (done.state !== "succeeded") throw new Error(`run ${r.id} ${done.state}: ${done.reason}`);
      return r.id;
    };
    const measure = async (ids: ReadonlyArray<string>) => {
      const all: Array<{ running: number; created: number }> = [];
      for (const id of ids) {
        const page = await Effect.runPromise(
          core.store.jobs.list({ pipelineRunId: id, limit: 100 }),
        );
        all.push(...overheads(page.jobs));
      }
      const running = all.map((o) => o.running).sort((a, b) => a - b);
      const created = all.map((o) => o.created).sort((a, b) => a - b);
      return { running, created };
    };

    // Warm-up, not measured (as the hwp bench does): a fresh process runs its first pipelines
    // while V8 is still compiling their paths, on the same two cores as the runs.
    let warm = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (warm++ < WARMUP_RUNS) await one();
      }),
    );

    // Serial: one run at a time, for the overhead with idle agents.
    const serialIds: string[] = [];
    for (let i = 0; i < SERIAL_RUNS; i++) serialIds.push(await one());
    const serial = await measure(serialIds);

    // Throughput: LANES runs in flight.
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next++ < RUNS) ids.push(await one());
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const loaded = await measure(ids);

    const row = (name: string, xs: ReadonlyArray<number>) => ({
      measure: name,
      samples: xs.length,
      p50_ms: round(percentile(xs, 50)),
      p99_ms: round(percentile(xs, 99)),
    });
    printTable(`pipelines: ${RUNS} runs of a 10-step diamond, ${LANES} in flight`, [
      { measure: "runs/s", samples: RUNS, p50_ms: round(RUNS / seconds, 1), p99_ms: null },
      row("need succeeded -> job running (one run at a time)", serial.running),
      row("need succeeded -> job created (one run at a time)", serial.created),
      row(`need succeeded -> job running (${LANES} runs at once)`, loaded.running),
    ]);
    printJson({
      bench: "pipelines",
      runs_per_s: round(RUNS / seconds, 1),
      step_overhead_p50_ms: round(percentile(serial.running, 50)),
      step_overhead_p99_ms: round(percentile(serial.running, 99)),
      submit_overhead_p50_ms: round(percentile(serial.created, 50)),
      submit_overhead_p99_ms: round(percentile(serial.created, 99)),
      loaded_step_overhead_p99_ms: round(percentile(loaded.running, 99)),
    });
  } finally {
    for (const a of agents) a.kill("SIGTERM");
    await Effect.runPromise(Scope.close(scope, Exit.void));
    rmSync(dir, { recursive: true, force: true });
  }
};
