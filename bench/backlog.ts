/**
 * `npm run bench -- backlog`: a million queued jobs (`HODEI_BENCH_BACKLOG_N` to shrink it for a
 * smoke run), on LMDB, the supervisor in a process of its own (fixtures/supervisor-child.ts,
 * `--expose-gc`, its heap read over IPC after two full GCs):
 * 1. `submit_1m_s`: the wall time to submit them, 1,000 a request through
 *    `POST /api/v1/jobs/batch` with 4 requests in flight, no worker connected (they stay queued);
 * 2. `queued_1m_heap_mb`: the supervisor's heap with them queued, minus its heap empty (before
 *    the first submit), both after full GCs;
 * 3. `recover_1m_s`: a graceful stop, then a new supervisor process on the same data directory:
 *    from its `createSupervisor` call to `/ready` answering 200 (and, beside it, from spawning
 *    the process, node and module loading included, and the same for the empty store first);
 * 4. `drain_1m_jobs_per_s`: 2 agents (fixtures/noop-agent.ts) connect and run them all: jobs
 *    over the time from the first agent connected to the last job's `succeeded` committed.
 * Budgets: submitting stops after `HODEI_BENCH_BACKLOG_SUBMIT_BUDGET_S` (600) and draining is
 * cut after `HODEI_BENCH_BACKLOG_DRAIN_BUDGET_S` (600); if the supervisor dies (its heap limit),
 * the jobs acknowledged so far are what ran. The JSON says which `n` the figures are for, gives
 * them per job as well, and `note` says what was cut short and why. Where the time goes:
 * `submit_supervisor_cpu_us_per_job` (the supervisor's CPU, every thread, while submitting) and
 * `submit_client_cpu_us_per_job` (this process's: building and sending the requests) set
 * against the wall time per job; `HODEI_BENCH_SUPERVISOR_NODE_ARGS=--cpu-prof` profiles it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hodeiBatchSender, submitInBatches } from "./fixtures/batch-submit.ts";
import { lineProcess, type LineProcess } from "./fixtures/line-process.ts";
import { monotonicUs } from "./fixtures/supervisor-ipc.ts";
import {
  readyAt,
  startSupervisorProcess,
  type SupervisorProcess,
} from "./fixtures/supervisor-process.ts";
import { printJson, printTable, round } from "./report.ts";

const N = Number(process.env["HODEI_BENCH_BACKLOG_N"] ?? 1_000_000);
const SUBMIT_BUDGET_S = Number(process.env["HODEI_BENCH_BACKLOG_SUBMIT_BUDGET_S"] ?? 600);
const DRAIN_BUDGET_S = Number(process.env["HODEI_BENCH_BACKLOG_DRAIN_BUDGET_S"] ?? 600);
const BATCH = 1_000;
const IN_FLIGHT = 4;
const TOKEN = "bench-backlog-token";
const MB = 2 ** 20;
const spec = { name: "noop", handler: { name: "noop", input: null } };

/** Start to `/ready`: from the `createSupervisor` call, and from spawning the process (s). */
const whenReady = async (sup: SupervisorProcess) => {
  const started = await sup.started;
  const at = await Promise.race([
    readyAt(started.http, 15 * 60_000),
    sup.exited.then((code): never => {
      throw new Error(`the supervisor process exited (${code}) before /ready: its heap limit?`);
    }),
  ]);
  return {
    http: started.http,
    grpc: started.grpc,
    readyS: (at - started.startUs) / 1e6,
    processReadyS: (at - sup.spawnedUs) / 1e6,
  };
};

export const run = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-bench-backlog-"));
  const settings = {
    dataDir: dir,
    http: "127.0.0.1:0",
    grpc: "127.0.0.1:0",
    apiToken: TOKEN,
    workerToken: TOKEN,
    logLevel: "warn",
    shutdownGraceMs: "1000",
  };
  const notes: string[] = [];
  let sup = startSupervisorProcess(settings);
  const agents: LineProcess[] = [];
  try {
    const empty = await whenReady(sup);
    const heapEmpty = await sup.heap();

    // 1. Submit, no worker connected.
    const cpu0 = await sup.cpuUs();
    const clientCpu0 = process.cpuUsage();
    const t0 = performance.now();
    let failure: string | undefined;
    let acknowledged = 0;
    const send = hodeiBatchSender(empty.http, TOKEN, () => spec);
    const submitted = await submitInBatches(
      {
        n: N,
        size: BATCH,
        inFlight: IN_FLIGHT,
        stop: () => failure !== undefined || performance.now() - t0 > SUBMIT_BUDGET_S * 1000,
      },
      (first, count) =>
        send(first, count).then(
          () => void (acknowledged += count),
          (e: unknown) => {
            failure ??= e instanceof Error ? e.message : String(e);
            throw e;
          },
        ),
    ).catch(() => undefined);
    const submitS = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(clientCpu0);
    const clientCpuUs = clientCpu.user + clientCpu.system;
    if (failure !== undefined || submitted === undefined) {
      // A batch failed (the supervisor died, most likely of its heap limit): say how far it got.
      const code = await Promise.race([sup.exited, new Promise((r) => setTimeout(r, 1000))]);
      const note =
        `submitting failed after ${round(submitS, 1)} s with ${acknowledged} of ${N} jobs ` +
        `acknowledged (${failure ?? "unknown"}; supervisor exit ${sup.proc.signalCode ?? String(code)}): ` +
        "rerun with a smaller HODEI_BENCH_BACKLOG_N, or a larger heap through " +
        "HODEI_BENCH_SUPERVISOR_NODE_ARGS=--max-old-space-size=…";
      console.error(note);
      printJson({
        bench: "backlog",
        n: acknowledged,
        submit_1m_s: null,
        queued_1m_heap_mb: null,
        recover_1m_s: null,
        drain_1m_jobs_per_s: null,
        submit_us_per_job: acknowledged > 0 ? round((submitS * 1e6) / acknowledged, 1) : null,
        note,
      });
      process.exitCode = 1;
      return;
    }
    const n = submitted.count;
    if (n < N) notes.push(`submitting stopped at its ${SUBMIT_BUDGET_S} s budget: ${n} of ${N}`);
    const submitCpuUs = (await sup.cpuUs()) - cpu0;
    const heapQueued = await sup.heap();

    // 2. Restart on the same store.
    const tc = performance.now();
    await sup.close();
    const closeS = (performance.now() - tc) / 1000;
    sup = startSupervisorProcess(settings);
    const recovered = await whenReady(sup);
    const heapRecovered = await sup.heap();

    // 3. Agents connect and drain.
    const env = { HODEI_URL: recovered.grpc, HODEI_WORKER_TOKEN: TOKEN };
    for (const i of [1, 2]) {
      agents.push(
        lineProcess("bench/fixtures/noop-agent.ts", [], { ...env, HODEI_BENCH_NAME: `bl-${i}` }),
      );
    }
    const firstAgentUs = await Promise.race(agents.map((a) => a.ready)).then(monotonicUs);
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<"cut">(
      (r) => (timer = setTimeout(() => r("cut"), DRAIN_BUDGET_S * 1000)),
    );
    const drained = await Promise.race([sup.reached("succeeded", n).then(() => n), cut]);
    clearTimeout(timer);
    const drainS = (monotonicUs() - firstAgentUs) / 1e6;
    const done = drained === "cut" ? await sup.count("succeeded") : drained;
    if (drained === "cut") notes.push(`draining cut at ${DRAIN_BUDGET_S} s: ${done} of ${n} ran`);

    const queuedMb = (heapQueued.heapUsed - heapEmpty.heapUsed) / MB;
    const figures = {
      n,
      submit_s: submitS,
      queued_heap_mb: queuedMb,
      recover_s: recovered.readyS,
      drain_jobs_per_s: done / drainS,
    };
    const perJob = (x: number, unit: string) => `${round(x / n, 1)} ${unit}`;
    printTable(`backlog: ${n} queued jobs on LMDB, then 2 agents`, [
      {
        step: "submit (wall)",
        figure: `${round(submitS, 2)} s`,
        "per job": perJob(submitS * 1e6, "µs"),
      },
      {
        step: "  supervisor CPU meanwhile",
        figure: `${round(submitCpuUs / 1e6, 2)} s`,
        "per job": perJob(submitCpuUs, "µs"),
      },
      {
        step: "  this process's CPU (the client)",
        figure: `${round(clientCpuUs / 1e6, 2)} s`,
        "per job": perJob(clientCpuUs, "µs"),
      },
      {
        step: "queued heap (after GC, minus empty)",
        figure: `${round(queuedMb, 1)} MB`,
        "per job": perJob(queuedMb * MB, "B"),
      },
      { step: "graceful stop", figure: `${round(closeS, 2)} s`, "per job": "" },
      {
        step: "restart: createSupervisor → /ready",
        figure: `${round(recovered.readyS, 2)} s`,
        "per job": perJob(recovered.readyS * 1e6, "µs"),
      },
      {
        step: "  process spawn → /ready",
        figure: `${round(recovered.processReadyS, 2)} s`,
        "per job": "",
      },
      {
        step: "  heap recovered (minus empty)",
        figure: `${round((heapRecovered.heapUsed - heapEmpty.heapUsed) / MB, 1)} MB`,
        "per job": "",
      },
      {
        step: "empty store: createSupervisor → /ready",
        figure: `${round(empty.readyS, 2)} s`,
        "per job": "",
      },
      {
        step: "  process spawn → /ready",
        figure: `${round(empty.processReadyS, 2)} s`,
        "per job": "",
      },
      {
        step: "drain (2 agents)",
        figure: `${round(figures.drain_jobs_per_s, 0)} jobs/s`,
        "per job": perJob(drainS * 1e6, "µs"),
      },
    ]);
    if (notes.length > 0) console.log(notes.join("\n"));
    printJson({
      bench: "backlog",
      n,
      submit_1m_s: round(figures.submit_s, 2),
      queued_1m_heap_mb: round(figures.queued_heap_mb, 1),
      recover_1m_s: round(figures.recover_s, 2),
      drain_1m_jobs_per_s: round(figures.drain_jobs_per_s, 0),
      submit_us_per_job: round((submitS * 1e6) / n, 1),
      submit_supervisor_cpu_us_per_job: round(submitCpuUs / n, 1),
      submit_client_cpu_us_per_job: round(clientCpuUs / n, 1),
      queued_heap_bytes_per_job: round((queuedMb * MB) / n, 0),
      recovered_heap_mb: round((heapRecovered.heapUsed - heapEmpty.heapUsed) / MB, 1),
      queued_rss_mb: round(heapQueued.rss / MB, 0),
      recover_us_per_job: round((recovered.readyS * 1e6) / n, 2),
      recover_process_s: round(recovered.processReadyS, 2),
      empty_ready_s: round(empty.readyS, 2),
      stop_s: round(closeS, 2),
      note: notes.length > 0 ? notes.join("; ") : n === 1_000_000 ? null : `n = ${n}, not 1M`,
    });
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await sup.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
};
