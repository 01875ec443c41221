/**
 * `npm run bench -- chaos`: what an operator's bad day does to the jobs, per store (LMDB and
 * PostgreSQL). 1,000 command jobs, each appending its own token to one file, run through 2
 * agent processes (`hodei worker`) while the bench SIGKILLs the supervisor 5 times, restarts it
 * gracefully (SIGTERM) 5 times, and freezes one agent (SIGSTOP) past its heartbeat timeout
 * once. Jobs are submitted throughout with idempotency keys, resubmitted until acknowledged.
 *
 * Counted, per store:
 * - `lost`: acknowledged jobs the API does not know;
 * - `doubled`: tokens written twice (an attempt run again: at-least-once allows it, see below);
 * - `wrongly_failed`: jobs stored failed (or timed out) whose command finished (token written);
 * - `stuck`: jobs not terminal 60 s after the last restart;
 * - `max_attempt_over_policy`: how far any job's attempt went past `maxAttempts + maxBounces`.
 * A double comes from a job re-placed while its first attempt still ran: its worker was lost
 * (the frozen agent) and it had attempts left, so it ran elsewhere at once; the frozen attempt,
 * told to stop when its agent came back, may have finished first. `doubled_after_loss` counts
 * those; any other double would be a bug.
 *
 * Environment: HODEI_BENCH_CHAOS_JOBS (1000), HODEI_BENCH_CHAOS_STORES (lmdb,postgres).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { maxBounces } from "../src/domain/retry.ts";
import { api, exitOf, freePort, hodei, waitUntil, type Proc } from "./fixtures/processes.ts";
import { printJson, printTable, round } from "./report.ts";

const JOBS = Number(process.env["HODEI_BENCH_CHAOS_JOBS"] ?? 1_000);
const STORES = (process.env["HODEI_BENCH_CHAOS_STORES"] ?? "lmdb,postgres").split(",");
const KILLS = 5;
const RESTARTS = 5;
const MAX_ATTEMPTS = 3;
const pgUrl = process.env["HODEI_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const apiToken = "chaos-api-token";
const workerToken = "chaos-worker-token";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const once = async (store: string) => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-chaos-"));
  const tokens = join(dir, "tokens.txt");
  const schema = `hodei_chaos_${Date.now().toString(36)}`;
  const [http, grpc] = [await freePort(), await freePort()];
  const client = api(`http://127.0.0.1:${http}`, apiToken);
  const serveArgs = [
    "serve",
    "--data-dir",
    join(dir, "data"),
    "--http",
    `127.0.0.1:${http}`,
    "--grpc",
    `127.0.0.1:${grpc}`,
    "--heartbeat-interval-ms",
    "500",
    "--heartbeat-timeout-ms",
    "3000",
    ...(store === "postgres" ? ["--database-url", pgUrl, "--database-schema", schema] : []),
  ];
  const env = {
    HODEI_API_TOKEN: apiToken,
    HODEI_WORKER_TOKEN: workerToken,
    HODEI_SHUTDOWN_GRACE_MS: "2000",
    HODEI_LOG_LEVEL: "warn",
  };
  let supervisor: Proc | undefined;
  const start = async () => {
    supervisor = hodei(serveArgs, env);
    const s = supervisor;
    await waitUntil(`hodei serve ready (${s.output()})`, () => client.ready(), 60_000);
  };
  const agents = [0, 1].map(() =>
    hodei(["worker", "--url", `127.0.0.1:${grpc}`, "--max-jobs", "8"], {
      HODEI_WORKER_TOKEN: workerToken,
    }),
  );

  const began = Date.now();
  await start();
  const acked = new Map<string, string>();
  let submitting = true;
  // Submitted throughout, in small waves; a wave that finds no supervisor is tried again.
  const submitter = (async () => {
    for (let i = 0; i < JOBS;) {
      const token = `t${i}`;
      const id = await client.submit({
        name: `chaos-${i}`,
        command: {
          argv: ["sh", "-c", 'sleep 0.$(($$ % 4)); echo "$TOKEN" >> "$FILE"'],
          env: { TOKEN: token, FILE: tokens },
        },
        retry: { maxAttempts: MAX_ATTEMPTS, initialDelayMs: 100 },
        idempotencyKey: `chaos/${token}`,
      });
      if (id === undefined) {
        await pause(50);
        continue;
      }
      acked.set(token, id);
      i++;
      if (i % 20 === 0) await pause(40);
    }
    submitting = false;
  })();
  void submitter;

  // The operator's day: kills and restarts, one freeze in the middle.
  const events: string[] = [];
  for (let round = 0; round < KILLS + RESTARTS; round++) {
    await pause(1_500 + Math.random() * 1_500);
    const s = supervisor!;
    if (round % 2 === 0) {
      s.proc.kill("SIGKILL");
      events.push("SIGKILL");
    } else {
      s.proc.kill("SIGTERM");
      events.push("SIGTERM");
    }
    await s.exited;
    if (round === 4) {
      agents[0]!.proc.kill("SIGSTOP");
      await start();
      await pause(4_500); // past the 3 s heartbeat timeout
      agents[0]!.proc.kill("SIGCONT");
      events.push("SIGSTOP agent");
    } else await start();
  }
  const lastRestart = Date.now();
  while (submitting) await pause(100);

  // Everything acknowledged must end; what has not 60 s after the last restart is stuck.
  const views = new Map<string, Awaited<ReturnType<typeof client.job>>>();
  const terminal = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
  while (Date.now() - lastRestart < 60_000) {
    for (const [token, id] of acked) {
      const v = views.get(token);
      if (v !== undefined && v !== "unknown" && terminal.has(v.state)) continue;
      views.set(token, await client.job(id));
    }
    const open = [...views.values()].filter(
      (v) => v === undefined || (v !== "unknown" && !terminal.has(v.state)),
    );
    if (open.length === 0) break;
    await pause(500);
  }
  const seconds = (Date.now() - began) / 1000;
  const written = new Map<string, number>();
  for (const t of readFileSync(tokens, "utf8").split("\n").filter(Boolean)) {
    written.set(t, (written.get(t) ?? 0) + 1);
  }
  let lost = 0;
  let doubled = 0;
  let doubledAfterLoss = 0;
  let wronglyFailed = 0;
  let stuck = 0;
  let overPolicy = 0;
  for (const [token, id] of acked) {
    const v = views.get(token);
    if (v === "unknown") lost++;
    else if (v === undefined || !terminal.has(v.state)) stuck++;
    if (v === undefined || v === "unknown") continue;
    const times = written.get(token) ?? 0;
    if (times > 1) {
      doubled++;
      if (process.env["HODEI_BENCH_CHAOS_DEBUG"])
        console.log(token, JSON.stringify((v as { transitions?: unknown }).transitions));
      if (v.attempt > 1) doubledAfterLoss++;
    }
    if ((v.state === "failed" || v.state === "timed_out") && times > 0) wronglyFailed++;
    overPolicy = Math.max(overPolicy, v.attempt - (v.spec.retry.maxAttempts + maxBounces));
    void id;
  }

  supervisor!.proc.kill("SIGTERM");
  for (const a of agents) a.proc.kill("SIGTERM");
  await Promise.all([supervisor!.exited, ...agents.map((a) => exitOf(a.proc))]);
  rmSync(dir, { recursive: true, force: true });
  if (store === "postgres") {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  }
  return {
    bench: "chaos",
    store,
    jobs: acked.size,
    kills: KILLS,
    restarts: RESTARTS,
    lost,
    doubled,
    doubled_after_loss: doubledAfterLoss,
    wrongly_failed: wronglyFailed,
    stuck,
    max_attempt_over_policy: Math.max(0, overPolicy),
    seconds: round(seconds, 1),
    events: events.join(","),
  };
};

export const run = async (): Promise<void> => {
  const rows = [];
  for (const store of STORES) rows.push(await once(store));
  printTable("chaos: kills, graceful restarts and a frozen agent", rows);
  for (const r of rows) printJson(r);
};
