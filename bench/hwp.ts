/**
 * `npm run bench -- hwp`: the whole loop — supervisor (core + HWP server, in this process) and
 * 2 agent processes on loopback — on LMDB and on PostgreSQL.
 *   (a) after 5,000 no-op handler jobs to warm up (not counted, `HODEI_BENCH_HWP_WARMUP`):
 *       20,000 more: jobs/s from submit to result committed; and submit→start
 *       latency, one job at a time with the supervisor settled and the agents idle: from the
 *       call to `submit` to the agent calling the handler (both on the machine's monotonic
 *       clock, what BullMQ's figure measures), and to the `running` state being committed
 *       (one report and one commit later);
 *   (b) 2,000 command jobs running `true`: jobs/s;
 *   (c) 10,000 simulated agents heartbeating once a second for 30 s: this process's CPU %;
 *   (d) one job printing 1,000,000 lines: lines/s into the store.
 * And, as a reference for (a), the same jobs through the supervisor core alone (core-loop.ts):
 * `core_only_jobs_per_s`, its CPU per job, and the V8 heap it allocates per job
 * (`alloc_kb_per_job`: fixtures/allocation.ts says how it is measured).
 * One JSON line per store. While working on one part, `HODEI_BENCH_HWP_PARTS=cd` runs only
 * those (the others print null) and `HODEI_BENCH_HWP_STORES=lmdb` only that store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Effect, Either, Exit, Scope } from "effect";
import pg from "pg";
import { loadConfig } from "../src/config.ts";
import { makeLogger } from "../src/supervisor/logger.ts";
import { startSupervisor } from "../src/supervisor/process.ts";
import { jobEvents, type JobEvent } from "../src/supervisor/topics.ts";
import { coreLoop, type CoreLoop } from "./core-loop.ts";
import { submitNow } from "./fixtures/submit-now.ts";
import { percentile, printJson, printTable, round } from "./report.ts";

const HANDLER_JOBS = 20_000;
/** Handler jobs run before (a)'s throughput is measured, not counted (see `throughput`). */
const WARMUP = Number(process.env["HODEI_BENCH_HWP_WARMUP"] ?? 5_000);
const COMMAND_JOBS = 2_000;
const LATENCY_SAMPLES = Number(process.env["HODEI_BENCH_LATENCY_SAMPLES"] ?? 300);
/** Submissions in flight at once (as many clients submitting concurrently). */
const LANES = Number(process.env["HODEI_BENCH_LANES"] ?? 1024);
const SIM_AGENTS = Number(process.env["HODEI_BENCH_SIM_AGENTS"] ?? 10_000);
const SIM_SECONDS = Number(process.env["HODEI_BENCH_SIM_SECONDS"] ?? 30);
const LOG_LINES = Number(process.env["HODEI_BENCH_LOG_LINES"] ?? 1_000_000);
/** Which parts to run (`HODEI_BENCH_HWP_PARTS=cd` while working on one); all by default. */
const PARTS = process.env["HODEI_BENCH_HWP_PARTS"] ?? "abcd";
const STORES = (process.env["HODEI_BENCH_HWP_STORES"] ?? "lmdb,postgres").split(",") as Array<
  "lmdb" | "postgres"
>;
const TOKEN = "bench-token";
/** Extra node flags for the agent processes, e.g. `--cpu-prof` to profile their side. */
const CHILD_NODE_ARGS = (process.env["HODEI_BENCH_CHILD_NODE_ARGS"] ?? "")
  .split(" ")
  .filter(Boolean);
const pgUrl = process.env["HODEI_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

const child = (
  args: string[],
  env: Record<string, string> = {},
): [ChildProcess, Promise<void>, Promise<string>] => {
  const p = spawn(process.execPath, [...CHILD_NODE_ARGS, "--import", "tsx", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: p.stdout! });
  const ready = new Promise<void>((resolve) => lines.on("line", (l) => l === "ready" && resolve()));
  const done = new Promise<string>((resolve) =>
    lines.on("line", (l) => l.startsWith("done") && resolve(l.slice(4).trim())),
  );
  return [p, ready, done];
};

/**
 * Resolves when a job reaches a state: what the bus tells live followers. It runs in the
 * supervisor's process, on every event of every job: it allocates nothing for an event that
 * nobody waits for (the states before the awaited one), so it costs the figures little.
 */
class Waiter {
  private readonly waiting = new Map<string, Array<[string, (e: JobEvent) => void]>>();
  seen(e: JobEvent): void {
    const list = this.waiting.get(e.jobId);
    if (list === undefined || !list.some(([s]) => s === e.state)) return;
    for (const [s, resolve] of list) if (s === e.state) resolve(e);
    const rest = list.filter(([s]) => s !== e.state);
    if (rest.length === 0) this.waiting.delete(e.jobId);
    else this.waiting.set(e.jobId, rest);
  }
  when(jobId: string, state: string): Promise<JobEvent> {
    return new Promise((resolve) => {
      const list = this.waiting.get(jobId) ?? [];
      list.push([state, resolve]);
      this.waiting.set(jobId, list);
    });
  }
}

const configFor = (store: "lmdb" | "postgres", dir: string, schema: string) =>
  Either.getOrThrow(
    loadConfig(
      {
        grpc: "127.0.0.1:0",
        dataDir: dir,
        workerToken: TOKEN,
        logLevel: "warn",
        shutdownGraceMs: "1000",
        ...(store === "postgres" ? { databaseUrl: pgUrl, databaseSchema: schema } : {}),
      },
      {},
    ),
  );

const dropSchema = async (schema: string) => {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
};

/** (a) again without the wire: a fresh supervisor of its own, agents played in-process. */
const coreOnly = async (store: "lmdb" | "postgres"): Promise<CoreLoop> => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-bench-core-"));
  const schema = `bench_core_${process.pid}`;
  const scope = Effect.runSync(Scope.make());
  try {
    const running = await Effect.runPromise(
      Scope.extend(startSupervisor(configFor(store, dir, schema), makeLogger("warn")), scope),
    );
    return await coreLoop(running.core, HANDLER_JOBS, LANES);
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
    rmSync(dir, { recursive: true, force: true });
    if (store === "postgres") await dropSchema(schema);
  }
};

const runOn = async (store: "lmdb" | "postgres") => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-bench-hwp-"));
  const schema = `bench_hwp_${process.pid}`;
  const config = configFor(store, dir, schema);
  const scope = Effect.runSync(Scope.make());
  const agents: ChildProcess[] = [];
  try {
    const running = await Effect.runPromise(
      Scope.extend(startSupervisor(config, makeLogger("warn")), scope),
    );
    const { core } = running;
    const waiter = new Waiter();
    const sub = await Effect.runPromise(
      Scope.extend(core.bus.subscribe(jobEvents, { capacity: 1 << 22 }), scope),
    );
    Effect.runFork(
      Effect.forever(
        Effect.zipRight(
          sub.awaitMessages,
          Effect.sync(() => sub.drain(1 << 20, (e) => waiter.seen(e))),
        ),
      ).pipe(Effect.ignore),
    );
    const env = { HODEI_URL: running.grpcAddress, HODEI_WORKER_TOKEN: TOKEN };
    const started = [1, 2].map((i) =>
      child(["bench/fixtures/noop-agent.ts"], { ...env, HODEI_BENCH_NAME: `bench-${i}` }),
    );
    agents.push(...started.map(([p]) => p));
    await Promise.all(started.map(([, ready]) => ready));

    const submit = (spec: unknown) => submitNow(core, spec).then((r) => r.job.id);
    const noop = { name: "noop", handler: { name: "noop", input: null } };

    const throughput = async (n: number, spec: unknown) => {
      const t0 = performance.now();
      const finished: Promise<JobEvent>[] = [];
      let next = 0;
      const lanes = Array.from({ length: LANES }, async () => {
        while (next < n) {
          next++;
          const id = await submit(spec);
          finished.push(waiter.when(id, "succeeded"));
        }
      });
      await Promise.all(lanes);
      await Promise.all(finished);
      return n / ((performance.now() - t0) / 1000);
    };
    // Measured warm, as a supervisor runs: the first jobs through a fresh process run while
    // V8 is still compiling its hot paths (~20% slower here), and are not counted.
    if (PARTS.includes("a") && WARMUP > 0) await throughput(WARMUP, noop);

    // (a) latency, one job at a time with idle agents.
    const latencies: number[] = [];
    const recorded: number[] = [];
    const stamp = { name: "stamp", handler: { name: "stamp", input: null } };
    for (let i = 0; PARTS.includes("a") && i < LATENCY_SAMPLES; i++) {
      await Effect.runPromise(core.settled);
      const t0 = process.hrtime.bigint();
      const id = await submit(stamp);
      const running = waiter.when(id, "running").then(() => process.hrtime.bigint());
      await waiter.when(id, "succeeded");
      recorded.push(Number((await running) - t0) / 1e6);
      const job = await Effect.runPromise(core.store.jobs.get(id));
      const startedNs = (job.result?.output as { startedNs: string } | undefined)?.startedNs;
      latencies.push(Number(BigInt(startedNs ?? "0") - t0) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    recorded.sort((a, b) => a - b);

    const handlerPerS = PARTS.includes("a") ? await throughput(HANDLER_JOBS, noop) : null;
    const commandPerS = PARTS.includes("b")
      ? await throughput(COMMAND_JOBS, { name: "true", command: { argv: ["true"] } })
      : null;

    // (d) one job printing a million lines: every line durable before the result is.
    let linesPerS: number | null = null;
    if (PARTS.includes("d")) {
      const printer = await submit({
        name: "seq",
        command: { argv: ["seq", "1", String(LOG_LINES)] },
      });
      const startedAt = (await waiter.when(printer, "running")).at;
      const doneAt = (await waiter.when(printer, "succeeded")).at;
      linesPerS = LOG_LINES / Math.max(0.001, (doneAt - startedAt) / 1000);
    }

    // (c) simulated agents heartbeating: this process's CPU while they do.
    let heartbeatCpu: number | null = null;
    let heartbeatUs: number | null = null;
    if (PARTS.includes("c") && SIM_AGENTS > 0) {
      const [sim, ready, done] = child([
        "bench/fixtures/heartbeat-sim.ts",
        running.grpcAddress,
        TOKEN,
        String(SIM_AGENTS),
        String(SIM_SECONDS),
      ]);
      agents.push(sim);
      await ready;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const sent = Number(await done);
      const cpu = process.cpuUsage(cpu0);
      heartbeatCpu = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
      // Per heartbeat too: on a busy machine the simulator may fall behind its once a second.
      heartbeatUs = (cpu.user + cpu.system) / Math.max(1, sent);
    }
    return {
      store,
      handlerPerS,
      p50: latencies.length > 0 ? percentile(latencies, 50) : null,
      p99: latencies.length > 0 ? percentile(latencies, 99) : null,
      recordedP50: recorded.length > 0 ? percentile(recorded, 50) : null,
      recordedP99: recorded.length > 0 ? percentile(recorded, 99) : null,
      commandPerS,
      heartbeatCpu,
      heartbeatUs,
      linesPerS,
    };
  } finally {
    // SIGTERM first (the agents stop, and write their profiles if asked), then SIGKILL.
    await Promise.all(
      agents.map(
        (a) =>
          new Promise<void>((resolve) => {
            if (a.exitCode !== null || a.signalCode !== null) return resolve();
            const kill = setTimeout(() => a.kill("SIGKILL"), 3000);
            a.once("exit", () => (clearTimeout(kill), resolve()));
            a.kill("SIGTERM");
          }),
      ),
    );
    await Effect.runPromise(Scope.close(scope, Exit.void));
    rmSync(dir, { recursive: true, force: true });
    if (store === "postgres") await dropSchema(schema);
  }
};

const orNull = (x: number | null, digits: number): number | null =>
  x === null ? null : round(x, digits);
const orDash = (x: number | null, digits: number): number | string => orNull(x, digits) ?? "-";

export const run = async (): Promise<void> => {
  const results = [];
  for (const store of STORES) {
    const wire = await runOn(store);
    results.push({ ...wire, core: PARTS.includes("a") ? await coreOnly(store) : null });
  }
  printTable(
    "hwp: supervisor + 2 agent processes on loopback",
    results.map((r) => ({
      store: r.store,
      "handler jobs/s": orDash(r.handlerPerS, 0),
      "submit→start p50 ms": orDash(r.p50, 2),
      "submit→start p99 ms": orDash(r.p99, 2),
      "submit→running recorded p50 ms": orDash(r.recordedP50, 2),
      "p99 ms": orDash(r.recordedP99, 2),
      "command jobs/s": orDash(r.commandPerS, 0),
      [`${SIM_AGENTS} heartbeating agents, CPU %`]: orDash(r.heartbeatCpu, 1),
      "CPU µs per heartbeat": orDash(r.heartbeatUs, 1),
      "log lines/s": orDash(r.linesPerS, 0),
      "core only jobs/s": orDash(r.core?.jobsPerS ?? null, 0),
      "core only KB allocated per job": orDash(r.core?.allocKbPerJob ?? null, 1),
    })),
  );
  for (const r of results) {
    printJson({
      bench: "hwp",
      handler_jobs_per_s: orNull(r.handlerPerS, 0),
      submit_to_start_p50_ms: orNull(r.p50, 2),
      submit_to_start_p99_ms: orNull(r.p99, 2),
      submit_to_running_recorded_p50_ms: orNull(r.recordedP50, 2),
      submit_to_running_recorded_p99_ms: orNull(r.recordedP99, 2),
      command_jobs_per_s: orNull(r.commandPerS, 0),
      heartbeat_10k_cpu_pct: orNull(r.heartbeatCpu, 1),
      heartbeat_cpu_us_each: orNull(r.heartbeatUs, 1),
      log_lines_per_s: orNull(r.linesPerS, 0),
      core_only_jobs_per_s: orNull(r.core?.jobsPerS ?? null, 0),
      core_only_cpu_us_per_job: orNull(r.core?.cpuUsPerJob ?? null, 0),
      alloc_kb_per_job: orNull(r.core?.allocKbPerJob ?? null, 1),
      store: r.store,
    });
  }
};
