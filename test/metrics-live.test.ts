/**
 * The metrics are live: after a run through the real server and core, a scrape of
 * /api/v1/metrics shows the counts that run produced — jobs accepted, scheduled, completed,
 * failed, cancelled, re-placed; workers registered, lost, healthy; how long attempts and
 * pipeline runs took; HTTP requests; bus events; the process's own — and the exposition passes
 * `promtool check metrics`.
 *
 * promtool comes from the Debian package `prometheus`. When it is missing the lint is skipped
 * locally, and fails in CI (CI=true) with the line to install it.
 */
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { pipeline } from "../src/pipeline/dag.ts";
import { command, eventually, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

/** `name{labels} value` lines of the exposition, by series. */
const parse = (text: string): Map<string, number> =>
  new Map(
    text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]),
  );

const scrape = async () => parse(await (await h.fetch("/api/v1/metrics")).text());

const promtool = (): string | undefined => {
  const found = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  return found.error === undefined && found.status === 0 ? "promtool" : undefined;
};

describe("metrics", () => {
  it("count what a run did, read gauges live, and pass promtool", async () => {
    h = await startApi({ config: { heartbeatTimeoutMs: 400, heartbeatIntervalMs: 100 } });
    const before = await scrape();
    expect(before.get("hodei_jobs_completed_total")).toBe(0);
    expect(before.get('hodei_workers_total{condition="healthy"}')).toBe(0);

    const a = await h.register("agent-a");
    await h.heartbeat(a, { cpuPercent: 55.5, memoryUsedMb: 2048 });
    // Alive until the test wants it silent, however slow the machine is today.
    const silenceA = h.keepAlive(a, { cpuPercent: 55.5, memoryUsedMb: 2048 });
    const submit = async (name: string, extra: object = {}) =>
      (await h.json("/api/v1/jobs", post(command(name, extra)))).body.id as string;

    const ok = [await submit("ok-1"), await submit("ok-2", { priority: "high" })];
    for (const id of ok) {
      await h.start(id);
      await h.finish(id);
    }
    const failed = await submit("fails");
    await h.start(failed);
    await h.finish(failed, { kind: "failed", exitCode: 1, error: "boom" });
    const cancelled = await submit("cancelled", { labels: { never: "matches" } });
    await h.json(`/api/v1/jobs/${cancelled}/cancel`, { method: "POST" });
    await eventually(async () =>
      (await h.json(`/api/v1/jobs/${cancelled}`)).body.state === "cancelled" ? 1 : undefined,
    );

    // A job on a worker that goes silent is placed again on another one.
    const moving = await submit("moving", { retry: { maxAttempts: 2, initialDelayMs: 0 } });
    const first = await h.assignment(moving);
    expect(first.workerId).toBe(a);
    await h.start(moving);
    silenceA();
    const b = await h.register("agent-b");
    await eventually(
      async () => {
        await h.heartbeat(b);
        const last = h.assigned.findLast(([, x]) => x.jobId === moving)!;
        return last[1].attempt === 2 ? true : undefined;
      },
      "the job placed again",
      10_000,
    );
    await h.heartbeat(b, { cpuPercent: 5 });

    const m = await scrape();
    expect(m.get("hodei_jobs_accepted_total")).toBe(5);
    expect(m.get("hodei_jobs_completed_total")).toBe(2);
    expect(m.get('hodei_jobs_failed_total{state="failed"}')).toBe(1);
    expect(m.get('hodei_jobs_failed_total{state="timed_out"}')).toBe(0);
    expect(m.get("hodei_jobs_cancelled_total")).toBe(1);
    expect(m.get("hodei_job_retries_total")).toBe(1);
    expect(m.get("hodei_jobs_scheduled_total")).toBe(5); // ok-1, ok-2, fails, moving twice
    expect(m.get('hodei_scheduling_decisions_total{kind="first"}')).toBe(4);
    expect(m.get('hodei_scheduling_decisions_total{kind="replaced"}')).toBe(1);
    expect(m.get("hodei_jobs_replaced_total")).toBe(1);
    expect(m.get('hodei_scheduling_latency_seconds_count{kind="first"}')).toBe(4);
    expect(m.get('hodei_queue_wait_time_seconds_count{priority="high"}')).toBe(1);
    expect(m.get('hodei_queue_wait_time_seconds_count{priority="normal"}')).toBe(4);
    expect(m.get("hodei_workers_registered_total")).toBe(2);
    expect(m.get("hodei_workers_lost_total")).toBe(1);
    expect(m.get("hodei_workers_healthy")).toBe(1);
    expect(m.get('hodei_workers_total{condition="lost"}')).toBe(1);
    expect(m.get('hodei_workers_total{condition="healthy"}')).toBe(1);
    expect(m.get(`hodei_cpu_usage_percent{worker="${b}"}`)).toBe(5);
    expect(m.get(`hodei_cpu_usage_percent{worker="${a}"}`)).toBe(55.5);
    expect(m.get(`hodei_memory_usage_bytes{worker="${a}"}`)).toBe(2048 * 2 ** 20);
    expect(m.get(`hodei_worker_free_capacity{worker="${b}",resource="jobs"}`)).toBe(3);
    expect(m.get(`hodei_worker_free_capacity{worker="${b}",resource="cpu_millis"}`)).toBe(3900);
    expect(m.get(`hodei_worker_heartbeat_lag_seconds{worker="${a}"}`)).toBeGreaterThan(0.3);
    expect(m.get("hodei_jobs_queued")).toBe(0);
    expect(m.get("hodei_queue_size")).toBe(0);
    expect(m.get("hodei_jobs_placed")).toBe(1);
    expect(m.get("hodei_jobs_live")).toBe(1);
    expect(
      m.get('hodei_http_requests_total{method="POST",route="/api/v1/jobs",status="201"}'),
    ).toBe(5);
    expect(
      m.get('hodei_http_request_duration_seconds_count{method="POST",route="/api/v1/jobs"}'),
    ).toBe(5);
    expect(m.get('hodei_events_published_total{topic="placements"}')).toBe(5);
    // Each subscriber receives each: the metrics and the dashboard's event stream.
    expect(m.get('hodei_events_received_total{topic="placements"}')).toBe(10);
    // The metrics, the log streams and the dashboard's event stream.
    expect(m.get('hodei_event_bus_subscribers{topic="jobs"}')).toBe(3);
    expect(m.get('hodei_events_dropped_total{topic="jobs"}')).toBe(0);
    expect(m.get('hodei_metrics_events_missed_total{topic="jobs"}')).toBe(0);
    // Attempts that ran, by how they ended: the moving job's first one lost its worker.
    const run = (labels: string) => m.get(`hodei_job_run_duration_seconds_${labels}`);
    expect(run('count{outcome="succeeded",queue="default",handler=""}')).toBe(2);
    expect(run('count{outcome="failed",queue="default",handler=""}')).toBe(1);
    expect(run('count{outcome="retried",queue="default",handler=""}')).toBe(1);
    expect(run('bucket{le="+Inf",outcome="succeeded",queue="default",handler=""}')).toBe(2);
    // By named queue and handler (empty: a command job).
    expect(
      m.get('hodei_job_run_duration_seconds_count{outcome="succeeded",queue="default",handler=""}'),
    ).toBe(2);
    expect(m.get('hodei_queue_depth{queue="default"}')).toBe(0);
    expect(m.get('hodei_queue_running{queue="default"}')).toBe(1);
    expect(m.get('hodei_queue_paused{queue="default"}')).toBe(0);
    expect(m.get('hodei_jobs_rate_limited{queue="default"}')).toBe(0);
    // The process's own, without the three `_total` gauges promtool refuses.
    expect(m.get("process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(m.get("nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect([...m.keys()].some((k) => k.startsWith("nodejs_active_handles_total"))).toBe(false);

    const text = await (await h.fetch("/api/v1/metrics")).text();
    const tool = promtool();
    if (tool === undefined) {
      if (process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
        throw new Error(
          "promtool is missing: CI must install it (`apt-get install -y prometheus`) to lint the metrics",
        );
      }
      console.warn("promtool not found: `promtool check metrics` skipped");
      return;
    }
    const lint = spawnSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe("");
    expect(lint.status).toBe(0);
  });

  it("time pipeline runs from start to end, by outcome", async () => {
    const one = pipeline("one").step("a", { command: { shell: "true" } });
    h = await startApi({ pipelines: [one] });
    await h.register("agent-a");
    const started = await h.json("/api/v1/pipelines/one/runs", { method: "POST", body: "{}" });
    const runId = started.body.id as string;
    const jobId = await eventually(async () => {
      const { body } = await h.json(`/api/v1/runs/${runId}`);
      return body.jobs["a"] as string | undefined;
    }, "the step's job");
    await h.start(jobId);
    await h.finish(jobId);
    await eventually(async () =>
      (await h.json(`/api/v1/runs/${runId}`)).body.state === "succeeded" ? 1 : undefined,
    );
    const m = await scrape();
    expect(m.get('hodei_pipeline_run_duration_seconds_count{outcome="succeeded"}')).toBe(1);
    expect(m.get('hodei_pipeline_run_duration_seconds_count{outcome="failed"}') ?? 0).toBe(0);
    expect(
      m.get('hodei_job_run_duration_seconds_count{outcome="succeeded",queue="default",handler=""}'),
    ).toBe(1);
  });

  it("show each named queue: depth, running, paused, rate limited, run time by handler", async () => {
    h = await startApi({ config: { placeOnSubmit: false } });
    const w = await h.register("agent-a", { handlers: ["images.resize"] });
    const stop = h.keepAlive(w);
    const put = (body: unknown) => ({ method: "PUT", body: JSON.stringify(body) });
    await h.json("/api/v1/queues/held/pause", { method: "POST" });
    await h.json("/api/v1/queues/slow", put({ rateLimit: { max: 1, perMs: 3_600_000 } }));
    const submit = async (name: string, extra: object) =>
      (await h.json("/api/v1/jobs", post({ name, ...extra }))).body.id as string;
    const handler = { handler: { name: "images.resize" } };
    for (const n of ["h1", "h2"]) await submit(n, { command: { argv: ["true"] }, queue: "held" });
    const s1 = await submit("s1", { ...handler, queue: "slow" });
    await submit("s2", { ...handler, queue: "slow" });
    await h.start(s1);
    await h.finish(s1);
    await h.run(h.core.settled);
    const m = await scrape();
    stop();
    expect(m.get('hodei_queue_depth{queue="held"}')).toBe(2);
    expect(m.get('hodei_queue_paused{queue="held"}')).toBe(1);
    expect(m.get('hodei_queue_depth{queue="slow"}')).toBe(1);
    expect(m.get('hodei_queue_paused{queue="slow"}')).toBe(0);
    expect(m.get('hodei_jobs_rate_limited{queue="slow"}')).toBe(1);
    expect(m.get('hodei_jobs_rate_limited{queue="held"}')).toBe(0);
    expect(m.get('hodei_queue_running{queue="slow"}')).toBe(0);
    expect(
      m.get(
        'hodei_job_run_duration_seconds_count{outcome="succeeded",queue="slow",handler="images.resize"}',
      ),
    ).toBe(1);
    const text = await (await h.fetch("/api/v1/metrics")).text();
    if (promtool() !== undefined) {
      const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(`${lint.stdout}${lint.stderr}`.trim()).toBe("");
    }
  });

  it("keeps the legacy memory name only on request, and it is what promtool refuses", async () => {
    const { makeHodeiMetrics } = await import("../src/metrics/metrics.ts");
    const view = {
      id: "w1",
      capacity: { cpuMillis: 1000, memoryMb: 1024, gpus: 0, maxJobs: 1 },
      reserved: { cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 },
      labels: {},
      handlers: [],
      healthy: true,
      draining: false,
      lastHeartbeatAt: 0,
      telemetry: {
        cpuPercent: 1,
        memoryUsedMb: 3,
        memoryTotalMb: 8,
        load1: 0,
        diskFreeMb: 1,
        runningJobs: 0,
      },
    };
    const source = {
      workers: () => [view],
      queued: () => 0,
      queues: () => [],
      placed: () => 0,
      live: () => 0,
      busStats: () => [],
      missed: () => [],
      now: () => 1000,
      beforeScrape: () => {},
    };
    expect(await makeHodeiMetrics(source).render()).not.toContain("hodei_memory_usage_mb");
    const legacy = await makeHodeiMetrics(source, { legacyMemoryMb: true }).render();
    expect(parse(legacy).get('hodei_memory_usage_mb{worker="w1"}')).toBe(3);
    if (promtool() !== undefined) {
      const lint = spawnSync("promtool", ["check", "metrics"], { input: legacy, encoding: "utf8" });
      expect(lint.stdout + lint.stderr).toContain(
        "hodei_memory_usage_mb metric names should not contain abbreviated units",
      );
    }
    h = undefined as never;
  });
});
