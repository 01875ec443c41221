/**
 * Every route of the API, answered by the real server on an ephemeral port over a real core;
 * each answer is decoded with the schema the OpenAPI document is generated from.
 */
import { Effect, Either, Schema } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import {
  ApiIndex,
  BatchResult,
  Health,
  JobDetail,
  JobPage,
  PrunedWorkers,
  LogPage,
  PlacementInfo,
  Readiness,
  RetriedJob,
  WorkerList,
  WorkerSummary,
} from "../src/api/schemas.ts";
import { decodePipeline } from "../src/domain/decode.ts";
import { Job } from "../src/domain/job.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { command, eventually, startApi, type Harness } from "./api-harness.ts";

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  headers,
});

const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown): A =>
  Schema.decodeUnknownSync(schema, { onExcessProperty: "error" })(value);

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Reads a server-sent event stream to its end. */
const readStream = async (
  res: Response,
): Promise<Array<{ event: string; id: string | undefined; data: any }>> => {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.startsWith(":"))
    .map((block) => {
      const fields = Object.fromEntries(
        block
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
      );
      return { event: fields.event!, id: fields.id, data: JSON.parse(fields.data!) };
    });
};

describe("API routes", () => {
  it("submits a job durably (201, Location), and answers a repeated idempotency key with it (200)", async () => {
    h = await startApi();
    const first = await h.fetch("/api/v1/jobs", post(command("hello", { idempotencyKey: "k-1" })));
    expect(first.status).toBe(201);
    const job = decode(Job, await first.json());
    expect(first.headers.get("location")).toBe(`/api/v1/jobs/${job.id}`);
    expect(job.state).toBe("queued");
    // Durable before the answer: the store has it.
    expect((await h.run(h.store.jobs.get(job.id))).id).toBe(job.id);

    const again = await h.json(
      "/api/v1/jobs",
      post(command("other name", { idempotencyKey: "k-1" })),
    );
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(job.id);

    // The header is the same key, for a spec that has none.
    const viaHeader = await h.json(
      "/api/v1/jobs",
      post(command("h"), { "idempotency-key": "k-2" }),
    );
    expect(viaHeader.status).toBe(201);
    const repeat = await h.json("/api/v1/jobs", post(command("h"), { "idempotency-key": "k-2" }));
    expect([repeat.status, repeat.body.id]).toEqual([200, viaHeader.body.id]);
  });

  it("answers each of many concurrent submits on its own: created, repeated key, invalid", async () => {
    h = await startApi();
    const bodies = [
      ...Array.from({ length: 40 }, (_, i) => command(`job-${i}`)),
      ...Array.from({ length: 5 }, () => command("keyed", { idempotencyKey: "same" })),
      ...Array.from({ length: 5 }, (_, i) => ({ name: `bad-${i}`, command: { argv: [] } })),
    ];
    const answers = await Promise.all(bodies.map((b) => h.json("/api/v1/jobs", post(b))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, 40).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(40, 45).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.slice(40, 45).map((a) => a.body.id)).size).toBe(1);
    expect(statuses.slice(45)).toEqual([400, 400, 400, 400, 400]);
    expect(answers[45]!.body.error.details[0].path).toBe("command.argv");
    expect(answers.slice(0, 40).map((a) => a.body.spec.name)).toEqual(
      bodies.slice(0, 40).map((b) => b.name),
    );
    expect((await h.run(h.store.jobs.list({ limit: 1000 }))).jobs).toHaveLength(41);
  });

  it("submits a batch in one go and answers 200 when every job already existed", async () => {
    h = await startApi();
    const jobs = [command("a", { idempotencyKey: "a" }), command("b", { idempotencyKey: "b" })];
    const created = await h.json("/api/v1/jobs/batch", post({ jobs }));
    expect(created.status).toBe(201);
    const result = decode(BatchResult, created.body);
    expect(result.jobs.map((j) => [j.created, j.state])).toEqual([
      [true, "queued"],
      [true, "queued"],
    ]);
    const again = await h.json("/api/v1/jobs/batch", post({ jobs }));
    expect(again.status).toBe(200);
    expect(again.body.jobs.map((j: { id: string }) => j.id)).toEqual(result.jobs.map((j) => j.id));
  });

  it("lists jobs with filters and cursor pagination, and gets one", async () => {
    h = await startApi();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await h.json(
        "/api/v1/jobs",
        post(command(`j${i}`, { labels: { team: i % 2 === 0 ? "even" : "odd" } })),
      );
      ids.push(r.body.id);
    }
    const first = decode(JobPage, (await h.json("/api/v1/jobs?limit=2")).body);
    expect(first.jobs.map((j) => j.id)).toEqual(ids.slice(0, 2));
    const second = decode(
      JobPage,
      (await h.json(`/api/v1/jobs?limit=2&cursor=${first.next}`)).body,
    );
    expect(second.jobs.map((j) => j.id)).toEqual(ids.slice(2, 4));
    const even = decode(JobPage, (await h.json("/api/v1/jobs?label=team=even")).body);
    expect(even.jobs.map((j) => j.id)).toEqual([ids[0], ids[2], ids[4]]);
    const queued = decode(JobPage, (await h.json("/api/v1/jobs?state=queued,running")).body);
    expect(queued.jobs).toHaveLength(5);
    expect((await h.json("/api/v1/jobs?state=succeeded")).body.jobs).toEqual([]);
    // The newest first, a page at a time.
    const newest = decode(JobPage, (await h.json("/api/v1/jobs?order=newest&limit=3")).body);
    expect(newest.jobs.map((j) => j.id)).toEqual([ids[4], ids[3], ids[2]]);
    const older = decode(
      JobPage,
      (await h.json(`/api/v1/jobs?order=newest&limit=3&cursor=${newest.next}`)).body,
    );
    expect([older.jobs.map((j) => j.id), older.next]).toEqual([[ids[1], ids[0]], null]);
    expect((await h.json("/api/v1/jobs?order=sideways")).status).toBe(400);
    const one = await h.json(`/api/v1/jobs/${ids[3]}`);
    expect([one.status, decode(JobDetail, one.body).spec.name]).toEqual([200, "j3"]);
  });

  it("cancels a queued job (202, then cancelled), refuses a second cancel (409), retries it as a new job", async () => {
    h = await startApi();
    const { body: job } = await h.json(
      "/api/v1/jobs",
      post(command("doomed", { idempotencyKey: "once" })),
    );
    const notYet = await h.json(`/api/v1/jobs/${job.id}/retry`, { method: "POST" });
    expect([notYet.status, notYet.body.error.code]).toEqual([409, "conflict"]);

    const cancel = await h.json(`/api/v1/jobs/${job.id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(202);
    await eventually(
      async () =>
        (await h.json(`/api/v1/jobs/${job.id}`)).body.state === "cancelled" ? true : undefined,
      "cancelled",
    );
    const twice = await h.json(`/api/v1/jobs/${job.id}/cancel`, { method: "POST" });
    expect([twice.status, twice.body.error.code]).toEqual([409, "conflict"]);

    const retried = await h.fetch(`/api/v1/jobs/${job.id}/retry`, { method: "POST" });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("hodei-retry-of")).toBe(job.id);
    const body = decode(RetriedJob, await retried.json());
    expect(body.retryOf).toBe(job.id);
    expect(body.job.id).not.toBe(job.id);
    expect(body.job.state).toBe("queued");
    expect(body.job.spec.name).toBe("doomed");
    expect(body.job.spec.idempotencyKey).toBeUndefined();
    // Terminal states are absorbing: the old job is still cancelled.
    expect((await h.json(`/api/v1/jobs/${job.id}`)).body.state).toBe("cancelled");
  });

  it("explains why a job is not placed, then shows where it went", async () => {
    h = await startApi();
    const { body: gpu } = await h.json(
      "/api/v1/jobs",
      post(command("gpu", { labels: { gpu: "true" } })),
    );
    const why = decode(PlacementInfo, (await h.json(`/api/v1/jobs/${gpu.id}/placement`)).body);
    expect(why).toMatchObject({ state: "queued", placed: false, never: true });
    expect(why.reason).toContain("gpu=true");
    // The job itself carries the same reason while it waits.
    const waiting = decode(JobDetail, (await h.json(`/api/v1/jobs/${gpu.id}`)).body);
    expect(waiting.waiting).toMatchObject({ reason: why.reason, never: true });
    expect(waiting.waiting!.since).toBe(waiting.createdAt);
    expect(waiting.waiting!.waitedMs).toBeGreaterThanOrEqual(0);

    const workerId = await h.register("gpu-box", { labels: { gpu: "true" } });
    await h.start(gpu.id);
    const placed = decode(PlacementInfo, (await h.json(`/api/v1/jobs/${gpu.id}/placement`)).body);
    expect(placed).toMatchObject({
      state: "running",
      placed: true,
      workerId,
      reason: null,
      never: false,
    });
    expect(decode(JobDetail, (await h.json(`/api/v1/jobs/${gpu.id}`)).body).waiting).toBe(
      undefined,
    );
  });

  it("forgets lost workers on request (prune) and after their retention, never a live one", async () => {
    h = await startApi({ config: { heartbeatTimeoutMs: 300, heartbeatIntervalMs: 100 } });
    const gone = await h.register("gone");
    const kept = await h.register("kept");
    const lostAt = Date.now();
    // `kept` heartbeats; `gone` goes silent and is lost.
    await eventually(
      async () => {
        await h.heartbeat(kept);
        const w = (await h.json(`/api/v1/workers/${gone}`)).body;
        return w.state === "lost" ? w : undefined;
      },
      "gone lost",
      10_000,
    );
    // Within its retention it stays listed.
    expect(await h.run(h.core.pruneWorkers(lostAt - 60_000))).toEqual([]);
    const pruned = await h.json("/api/v1/workers/prune", { method: "POST" });
    expect(decode(PrunedWorkers, pruned.body)).toEqual({ pruned: [gone] });
    expect((await h.json(`/api/v1/workers/${gone}`)).status).toBe(404);
    expect(
      decode(WorkerList, (await h.json("/api/v1/workers")).body).workers.map((w) => w.id),
    ).toEqual([kept]);
    // Forgotten, it may come back under its id: a worker again, placeable.
    await h.run(
      h.core.inbound.register({
        workerId: gone,
        name: "gone",
        capacity: { cpuMillis: 1000, memoryMb: 1024, gpus: 0, maxJobs: 1 },
        labels: {},
        handlers: [],
        running: [],
      }),
    );
    await h.heartbeat(gone);
    await eventually(async () => {
      const w = (await h.json(`/api/v1/workers/${gone}`)).body;
      return w.healthy === true && w.state === "idle" ? true : undefined;
    }, "gone back");
  });

  it("answers /api/v1 with what it is and where its routes are", async () => {
    h = await startApi();
    const index = decode(ApiIndex, (await h.json("/api/v1")).body);
    expect(index.links).toMatchObject({ openapi: "/api/v1/openapi.json", ready: "/ready" });
    for (const link of Object.values(index.links)) expect((await h.fetch(link)).status).toBe(200);
  });

  it("reads a log range and follows a log live until the job ends (SSE)", async () => {
    h = await startApi();
    await h.register("agent-1");
    const { body: job } = await h.json("/api/v1/jobs", post(command("chatty")));
    await h.start(job.id);
    await h.log(job.id, ["one", "two", "three"]);

    const page = decode(
      LogPage,
      (await h.json(`/api/v1/jobs/${job.id}/logs?fromSeq=2&limit=1`)).body,
    );
    expect(page.chunks.map((c) => [c.seq, c.data])).toEqual([[2, "two"]]);
    expect(page.nextSeq).toBe(3);

    const tail = decode(LogPage, (await h.json(`/api/v1/jobs/${job.id}/logs?tail=2`)).body);
    expect(tail.chunks.map((c) => [c.seq, c.data])).toEqual([
      [2, "two"],
      [3, "three"],
    ]);
    expect(tail.nextSeq).toBe(4);
    const both = await h.json(`/api/v1/jobs/${job.id}/logs?tail=2&fromSeq=1`);
    expect([both.status, both.body.error.code]).toEqual([400, "invalid_input"]);

    const stream = await h.fetch(`/api/v1/jobs/${job.id}/logs/stream?fromSeq=2`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const follow = await h.fetch(`/api/v1/jobs/${job.id}/logs?follow=1`, {
      headers: { "last-event-id": "2" },
    });
    await eventually(() => (h.serving.api.streams() === 2 ? true : undefined), "two open streams");
    await h.log(job.id, ["four"]);
    await h.finish(job.id);

    const events = await readStream(stream);
    expect(
      events.map((e) => (e.event === "log" ? `${e.id}:${e.data.data}` : `end:${e.data.state}`)),
    ).toEqual(["2:two", "3:three", "4:four", "end:succeeded"]);
    const resumed = await readStream(follow);
    expect(resumed.map((e) => e.id ?? e.event)).toEqual(["3", "4", "end"]);

    // A finished job's stream sends what is stored and ends at once.
    const after = await readStream(await h.fetch(`/api/v1/jobs/${job.id}/logs/stream`));
    expect(after.map((e) => e.id ?? e.event)).toEqual(["1", "2", "3", "4", "end"]);
  });

  it("keeps an idle stream alive, ends it when the job is cancelled; closing the server ends the others", async () => {
    h = await startApi({ sseHeartbeatMs: 20 });
    const a = (await h.json("/api/v1/jobs", post(command("a")))).body.id as string;
    const b = (await h.json("/api/v1/jobs", post(command("b")))).body.id as string;
    const stream = await h.fetch(`/api/v1/jobs/${a}/logs/stream`);
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes(": keep-alive")) text += decoder.decode((await reader.read()).value);
    await h.json(`/api/v1/jobs/${a}/cancel`, { method: "POST" });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toContain('event: end\ndata: {"state":"cancelled"}');

    const open = await h.fetch(`/api/v1/jobs/${b}/logs/stream`);
    await eventually(() => (h.serving.api.streams() === 1 ? true : undefined), "an open stream");
    const closing = h.close();
    expect(await open.text()).toContain('event: end\ndata: {"state":null}');
    await closing;
    h = undefined as never;
  });

  it("lists workers with capacity, usage and health, gets one and drains it", async () => {
    h = await startApi();
    const workerId = await h.register("agent-1", { labels: { zone: "a" } });
    await h.heartbeat(workerId, { cpuPercent: 40 });
    const { body: job } = await h.json(
      "/api/v1/jobs",
      post(command("busy", { resources: { cpuMillis: 1000 } })),
    );
    await h.start(job.id);

    const list = decode(WorkerList, (await h.json("/api/v1/workers")).body);
    expect(list.workers).toHaveLength(1);
    expect(list.workers[0]).toMatchObject({
      id: workerId,
      name: "agent-1",
      state: "busy",
      healthy: true,
      draining: false,
      labels: { zone: "a" },
      reserved: { cpuMillis: 1000, jobs: 1 },
      free: { cpuMillis: 3000, jobs: 3 },
    });
    expect(list.workers[0]!.telemetry?.cpuPercent).toBe(40);
    const one = decode(WorkerSummary, (await h.json(`/api/v1/workers/${workerId}`)).body);
    expect(one.id).toBe(workerId);

    const drain = await h.json(`/api/v1/workers/${workerId}/drain`, { method: "POST" });
    expect(drain.status).toBe(202);
    await eventually(
      async () => ((await h.json(`/api/v1/workers/${workerId}`)).body.draining ? true : undefined),
      "draining",
    );
    expect((await h.json(`/api/v1/workers/${workerId}`)).body.state).toBe("draining");
  });

  it("lists the pipelines, with the declarative ones stored before the start", async () => {
    const store = makeMemoryStore();
    const definition = Either.getOrThrow(
      decodePipeline({ name: "build", steps: [{ name: "compile", job: command("compile") }] }),
    );
    await Effect.runPromise(store.pipelines.putDefinition(definition));
    h = await startApi({ store });
    const { status, body } = await h.json("/api/v1/pipelines");
    expect(status).toBe(200);
    expect(body.pipelines).toEqual([
      {
        name: "build",
        version: expect.stringMatching(/^[0-9a-f]{12}$/),
        source: "declarative",
        steps: [{ name: "compile", needs: [] }],
      },
    ]);
  });

  it("serves metrics, the OpenAPI document, health and readiness", async () => {
    h = await startApi({ readiness: () => ({ store: true, recovery: true, hwp: true }) });
    const metrics = await h.fetch("/api/v1/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(await metrics.text()).toContain("# TYPE hodei_jobs_scheduled_total counter");
    const doc = await h.json("/api/v1/openapi.json");
    expect([doc.status, doc.body.openapi]).toEqual([200, "3.1.0"]);
    expect(decode(Health, (await h.json("/health")).body).status).toBe("ok");
    const ready = decode(Readiness, (await h.json("/ready")).body);
    expect(ready).toEqual({
      ready: true,
      checks: { store: true, recovery: true, hwp: true, accepting: true },
    });
  });

  it("runs a job end to end: submit over HTTP, the agent's reports, the final state over HTTP", async () => {
    h = await startApi();
    await h.register("agent-1");
    const { body: job } = await h.json("/api/v1/jobs", post(command("e2e")));
    await h.start(job.id);
    await h.finish(job.id, { kind: "failed", exitCode: 3, error: "exit 3" });
    const done = decode(JobDetail, (await h.json(`/api/v1/jobs/${job.id}`)).body);
    expect(done.state).toBe("failed");
    expect(done.result).toMatchObject({ exitCode: 3 });
    expect(await h.run(Effect.succeed(h.core.liveJobs()))).toBe(0);
  });
});
