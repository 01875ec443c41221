/**
 * `npm run bench -- api`: the HTTP API over a real core on LMDB (each commit flushed before a
 * submit is answered), no workers (jobs stay queued):
 * - ready: from opening the store to the first 200 from `/ready` (a fresh data directory; then
 *   the directory the submits below filled, whose unfinished jobs start-up must recover), and
 *   from spawning `hodei serve` (the compiled CLI, as a user runs it) to its first 200;
 * - the CLI: the wall time of `hodei jobs --json` against a running `hodei serve`, each call a
 *   new process, next to spawning a bare `node -e 0` (the floor of any command);
 * - single: one job per request, `CLIENTS` keep-alive connections each with one request in flight;
 * - batch: 100 jobs per request, `BATCH_CLIENTS` connections.
 *
 * Baselines measured in the same run, interleaved with the above: a bare node:http server under
 * the same load (the ceiling of HTTP on this machine) and the core alone, in process (what the
 * API can at best pass through). And the parts of a batch submit, each alone, so that the core's
 * cost can be split: decoding a spec (the fast path and the schema alone), and the store's
 * `createBatch` of 100 jobs on LMDB (no actors); what the core costs beyond those two is the
 * job actors (spawn, first snapshot commit) and the scheduler.
 *
 * The load comes from a worker thread (its own event loop, like a separate client process)
 * speaking HTTP/1.1 over raw sockets: Node's own HTTP client costs more CPU per request than
 * the server, and on a 2-core machine it would measure itself.
 */
import { Effect, Either, Exit, Scope } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { serveHttp } from "../src/api/server.ts";
import { makeMemoryBus } from "../src/bus/index.ts";
import { decodeJobSpec, decodeJobSpecWithSchema } from "../src/domain/decode.ts";
import { newJobId } from "../src/domain/ids.ts";
import { newJob } from "../src/domain/job.ts";
import type { JobSpec } from "../src/domain/job-spec.ts";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { makeSupervisorCore, type SupervisorCore } from "../src/supervisor/core.ts";
import { gc, median, percentile, printJson, printTable, round } from "./report.ts";

const CLIENTS = 64;
const SINGLE = 20_000;
const BATCH_CLIENTS = 8;
const BATCHES = 400;
const RUNS = 3;
const READY_RUNS = 5;
const CLI_CALLS = 20;

/** Auth is on, as in production: every request carries an admin token. */
const TOKEN = "bench-api-token";

const spec = (i: number) => ({
  name: `bench-${i % 100}`,
  command: { argv: ["true"] },
  labels: { team: `t${i % 8}` },
});

/** The load generator, run in a worker thread: keep-alive sockets, one request in flight each. */
const loadGenerator = `
const net = require("node:net");
const { parentPort, workerData } = require("node:worker_threads");
const { port, path, bodies, clients, total, token } = workerData;
const heads = bodies.map((b) => Buffer.concat([Buffer.from(
  "POST " + path + " HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\n" +
  "Authorization: Bearer " + token + "\\r\\n" +
  "Content-Length: " + Buffer.byteLength(b) + "\\r\\n\\r\\n"), Buffer.from(b)]));
let sent = 0, done = 0, failed = 0;
const latencies = [];
const t0 = performance.now();
for (let c = 0; c < clients; c++) {
  const s = net.connect(port, "127.0.0.1");
  s.setNoDelay(true);
  let buf = "", at = 0;
  const next = () => { if (sent < total) { at = performance.now(); s.write(heads[sent++ % heads.length]); } else s.end(); };
  s.on("connect", next);
  s.on("data", (d) => {
    buf += d.toString("latin1");
    for (;;) {
      const h = buf.indexOf("\\r\\n\\r\\n"); if (h < 0) return;
      const m = /content-length: *(\\d+)/i.exec(buf.slice(0, h));
      const len = m ? Number(m[1]) : 0;
      if (buf.length < h + 4 + len) return;
      if (!buf.startsWith("HTTP/1.1 20")) failed++;
      latencies.push(performance.now() - at);
      buf = buf.slice(h + 4 + len); done++;
      if (done === total) parentPort.postMessage({ ms: performance.now() - t0, failed, latencies });
      else next();
    }
  });
}
`;

const load = (port: number, path: string, bodies: string[], clients: number, total: number) =>
  new Promise<{ ms: number; failed: number; latencies: number[] }>((resolve, reject) => {
    const worker = new Worker(loadGenerator, {
      eval: true,
      workerData: { port, path, bodies, clients, total, token: TOKEN },
    });
    worker.once("message", (m) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once("error", reject);
  });

/** Opens a store, a core and the server on `dir`, as the supervisor does, inside `scope`. */
const start = (dir: string, scope: Scope.Scope) =>
  Effect.runPromise(
    Scope.extend(
      Effect.gen(function* () {
        const store = yield* Effect.acquireRelease(openLmdbStore({ path: dir }), (s) => s.close);
        const bus = yield* makeMemoryBus;
        const core = yield* makeSupervisorCore({ store, bus });
        const serving = yield* serveHttp({ core, port: 0, auth: { token: TOKEN } });
        return { core, serving };
      }),
      scope,
    ),
  );

const readyOnce = async (dir: string): Promise<number> => {
  const scope = Effect.runSync(Scope.make());
  const t0 = performance.now();
  const { serving } = await start(dir, scope);
  const res = await fetch(`${serving.url}/ready`);
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`/ready answered ${res.status}`);
  await Effect.runPromise(Scope.close(scope, Exit.void));
  return ms;
};

const hodeiBin = fileURLToPath(new URL("../bin/hodei.mjs", import.meta.url));
/** The admin token the served supervisor takes and the CLI presents, as an operator's would. */
const apiToken = "bench-api-token-0123456789abcdef0123456789";

/** `hodei serve` on `dir` (ephemeral ports), resolved with its API URL once it prints it. */
const serveProcess = (dir: string) => {
  const child = spawn(
    process.execPath,
    [hodeiBin, "serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data-dir", dir],
    {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, HODEI_LOG_LEVEL: "warn", HODEI_API_TOKEN: apiToken },
    },
  );
  const url = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /API\s+(http:\/\/\S+)\/api\/v1/.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`hodei serve exited with ${code}`)));
  });
  return { child, url };
};

/** From spawning `hodei serve` on an empty store to its first 200 from /ready. */
const readyProcess = async (dir: string): Promise<number> => {
  const t0 = performance.now();
  const { child, url } = serveProcess(dir);
  try {
    const base = await url;
    for (;;) {
      const res = await fetch(`${base}/ready`).catch(() => undefined);
      if (res?.status === 200) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    child.kill("SIGKILL");
  }
};

/** Wall time of a command run to its end, in a new process. */
const wallMs = (args: string[]): Promise<number> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, {
      stdio: "ignore",
      env: { ...process.env, HODEI_API_TOKEN: apiToken },
    });
    p.once("exit", (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args} exited ${code}`)),
    );
  });

/** `hodei jobs --json` against a running `hodei serve`, `CLI_CALLS` times; and `node -e 0`. */
const cliCalls = async (dir: string) => {
  const { child, url } = serveProcess(dir);
  try {
    const api = await url;
    const cli: number[] = [];
    const node: number[] = [];
    // Interleaved, so that a noisy neighbour spreads over both alike.
    for (let i = 0; i < CLI_CALLS; i++) {
      cli.push(await wallMs([hodeiBin, "jobs", "--json", "--api", api]));
      node.push(await wallMs(["-e", "0"]));
    }
    return { cli, node };
  } finally {
    child.kill("SIGKILL");
  }
};

const settle = (core: SupervisorCore) => Effect.runPromise(core.settled);

/** Throughput, and main-thread busy time per job (event loop utilisation): the CPU figure. */
interface Measured {
  readonly perS: number;
  readonly usPerJob: number;
}

/** The same load against a bare node:http server that reads the body and answers a fixed job. */
const httpFloor = async (bodies: string[], total: number): Promise<Measured> => {
  const answer = JSON.stringify({
    id: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    spec: spec(0),
    state: "queued",
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(201, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(answer),
      });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  await load(port, "/", bodies, CLIENTS, total / 10);
  const elu = performance.eventLoopUtilization();
  const out = await load(port, "/", bodies, CLIENTS, total);
  const busy = performance.eventLoopUtilization(elu).active;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return { perS: (total / out.ms) * 1000, usPerJob: (busy * 1000) / total };
};

/** The core alone, in process (no HTTP): what the API's figures are bounded by. */
const coreAlone = async (
  dir: string,
  batchSize: number,
  concurrency: number,
  total: number,
): Promise<Measured> => {
  const scope = Effect.runSync(Scope.make());
  const { core } = await start(dir, scope);
  const specs = Array.from({ length: batchSize }, (_, i) => spec(i));
  const submit: Effect.Effect<unknown, unknown> =
    batchSize === 1 ? core.submit(specs[0]) : core.submitBatch(specs);
  const once = (n: number) =>
    Effect.forEach(
      Array.from({ length: n / batchSize }, (_, i) => i),
      () => submit,
      { concurrency, discard: true },
    );
  await Effect.runPromise(once(total / 10));
  await settle(core);
  gc();
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  await Effect.runPromise(once(total));
  const perS = (total / (performance.now() - t0)) * 1000;
  // Until the core is idle: the actors' own commits are part of each job's cost.
  await settle(core);
  const usPerJob = (performance.eventLoopUtilization(elu).active * 1000) / total;
  await Effect.runPromise(Scope.close(scope, Exit.void));
  return { perS, usPerJob };
};

/** Main-thread µs per spec of `decode` over the bench's specs. */
const decodeCost = (decode: (u: unknown) => unknown): number => {
  const specs = Array.from({ length: 1000 }, (_, i) => spec(i));
  const rounds = 20;
  for (const s of specs) decode(s);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const s of specs) decode(s);
  return ((performance.now() - t0) * 1000) / (rounds * specs.length);
};

/** `store.jobs.createBatch` of `batchSize` decoded jobs on LMDB, alone: no core, no actors. */
const storeAlone = async (dir: string, batchSize: number, concurrency: number, total: number) => {
  const scope = Effect.runSync(Scope.make());
  const store = await Effect.runPromise(
    Scope.extend(
      Effect.acquireRelease(openLmdbStore({ path: dir }), (s) => s.close),
      scope,
    ),
  );
  const specs = Array.from({ length: batchSize }, (_, i) =>
    Either.getOrThrow(decodeJobSpec(spec(i))),
  ) as JobSpec[];
  const once = (n: number) =>
    Effect.forEach(
      Array.from({ length: n / batchSize }, (_, i) => i),
      () =>
        Effect.suspend(() => {
          const now = Date.now();
          return store.jobs.createBatch(specs.map((s) => newJob(newJobId(now), s, now)));
        }),
      { concurrency, discard: true },
    );
  await Effect.runPromise(once(total / 10));
  gc();
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  await Effect.runPromise(once(total));
  const perS = (total / (performance.now() - t0)) * 1000;
  const usPerJob = (performance.eventLoopUtilization(elu).active * 1000) / total;
  await Effect.runPromise(Scope.close(scope, Exit.void));
  return { perS, usPerJob };
};

const row = (measure: string, values: number[], target: string, digits = 0) => ({
  measure,
  median: round(median(values), digits),
  runs: values.map((x) => round(x, digits)).join(" "),
  target,
});

export async function run(): Promise<void> {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), "hodei-bench-api-"));
    dirs.push(dir);
    return dir;
  };
  try {
    // Ready, empty store: a fresh directory each time.
    const readyEmpty: number[] = [];
    for (let i = 0; i < READY_RUNS; i++) readyEmpty.push(await readyOnce(fresh()));
    const readyFromSpawn: number[] = [];
    for (let i = 0; i < READY_RUNS; i++) readyFromSpawn.push(await readyProcess(fresh()));
    const calls = await cliCalls(fresh());

    const singles = Array.from({ length: 512 }, (_, i) => JSON.stringify(spec(i)));
    const batches = Array.from({ length: 8 }, (_, b) =>
      JSON.stringify({ jobs: Array.from({ length: 100 }, (_, i) => spec(b * 100 + i)) }),
    );
    /** One measured run on a fresh store and core, so runs do not inherit each other's jobs. */
    const measure = async (path: string, bodies: string[], clients: number, total: number) => {
      const dir = fresh();
      const scope = Effect.runSync(Scope.make());
      const { core, serving } = await start(dir, scope);
      await load(serving.port, path, bodies, clients, Math.ceil(total / 10)); // warm-up
      await settle(core);
      gc();
      const elu = performance.eventLoopUtilization();
      const out = await load(serving.port, path, bodies, clients, total);
      if (out.failed > 0) throw new Error(`${out.failed} of ${total} requests to ${path} failed`);
      await settle(core);
      const busy = performance.eventLoopUtilization(elu).active;
      const held = core.liveJobs();
      await Effect.runPromise(Scope.close(scope, Exit.void));
      const jobs = path.endsWith("batch") ? total * 100 : total;
      const sorted = [...out.latencies].sort((a, b) => a - b);
      return {
        perS: (jobs / out.ms) * 1000,
        usPerJob: (busy * 1000) / jobs,
        p99: percentile(sorted, 99),
        dir,
        held,
      };
    };

    const kinds = ["single", "batch", "floor", "coreSingle", "coreBatch", "storeBatch"] as const;
    type Kind = (typeof kinds)[number];
    const rate = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<
      Kind,
      number[]
    >;
    const us = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
    const record = (k: Kind, m: Measured) => {
      rate[k].push(m.perS);
      us[k].push(m.usPerJob);
    };
    const singleP99: number[] = [];
    const decodeFast: number[] = [];
    const decodeSchema: number[] = [];
    let last = { dir: "", held: 0 };
    // Interleaved, so that a noisy neighbour spreads over every figure alike.
    for (let r = 0; r < RUNS; r++) {
      const out = await measure("/api/v1/jobs", singles, CLIENTS, SINGLE);
      record("single", out);
      singleP99.push(out.p99);
      last = out;
      record("batch", await measure("/api/v1/jobs/batch", batches, BATCH_CLIENTS, BATCHES));
      record("floor", await httpFloor(singles, SINGLE));
      record("coreSingle", await coreAlone(fresh(), 1, CLIENTS, SINGLE));
      record("coreBatch", await coreAlone(fresh(), 100, BATCH_CLIENTS, BATCHES * 100));
      record("storeBatch", await storeAlone(fresh(), 100, BATCH_CLIENTS, BATCHES * 100));
      decodeFast.push(decodeCost(decodeJobSpec));
      decodeSchema.push(decodeCost(decodeJobSpecWithSchema));
    }

    // Ready again on a directory holding the jobs of a single run, all unfinished.
    const readyRecovering: number[] = [];
    for (let i = 0; i < 3; i++) readyRecovering.push(await readyOnce(last.dir));

    const figures = {
      submit_single_per_s: round(median(rate.single), 0),
      submit_batch_jobs_per_s: round(median(rate.batch), 0),
      ready_ms: round(median(readyEmpty), 1),
    };
    const throughput = (measure: string, k: Kind, target: string) => ({
      ...row(measure, rate[k], target),
      "main thread µs/job": round(median(us[k]), 1),
    });
    printTable("api: HTTP submits on LMDB (flushed commits), no workers", [
      throughput("HTTP single submits/s (64 clients)", "single", ">= 5000"),
      throughput("HTTP batch jobs/s (100 per request, 8 clients)", "batch", ">= 50000"),
      throughput("baseline: bare node:http, fixed answer, req/s", "floor", "ceiling"),
      throughput("baseline: core.submit in process, jobs/s", "coreSingle", "bound"),
      throughput("baseline: core.submitBatch(100) in process, jobs/s", "coreBatch", "bound"),
      throughput("part: store createBatch(100) alone on LMDB, jobs/s", "storeBatch", ""),
      row("part: decodeJobSpec µs/spec (fast path)", decodeFast, "", 2),
      row("part: JobSpec schema decode alone µs/spec", decodeSchema, "", 2),
      row("HTTP single p99 latency ms", singleP99, "", 1),
      row("start to /ready ms, empty store", readyEmpty, "< 300", 1),
      row("spawning `hodei serve` to /ready ms, empty store", readyFromSpawn, "<= 500", 1),
      row("`hodei jobs --json` wall ms, a new process each", calls.cli, "<= 150", 1),
      row("baseline: `node -e 0` wall ms", calls.node, "floor", 1),
      row(`start to /ready ms, ${last.held} unfinished jobs`, readyRecovering, "", 1),
    ]);
    printJson({
      bench: "api",
      ...figures,
      store: "lmdb",
      http_floor_per_s: round(median(rate.floor), 0),
      core_single_per_s: round(median(rate.coreSingle), 0),
      core_batch_jobs_per_s: round(median(rate.coreBatch), 0),
      single_us_per_job: round(median(us.single), 1),
      core_single_us_per_job: round(median(us.coreSingle), 1),
      batch_us_per_job: round(median(us.batch), 1),
      core_batch_us_per_job: round(median(us.coreBatch), 1),
      store_batch_jobs_per_s: round(median(rate.storeBatch), 0),
      store_batch_us_per_job: round(median(us.storeBatch), 1),
      decode_us_per_spec: round(median(decodeFast), 2),
      decode_schema_us_per_spec: round(median(decodeSchema), 2),
      ready_process_ms: round(median(readyFromSpawn), 1),
      cli_call_ms: round(median(calls.cli), 1),
      node_start_ms: round(median(calls.node), 1),
      ready_ms_recovering: round(median(readyRecovering), 1),
      recovered_jobs: last.held,
    });
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
