/**
 * Delayed jobs over the API: bad `runAt`/`delayMs` are refused with the field named and nothing
 * stored; a delayed job is listed under `state=delayed`, says until when it waits, can be
 * cancelled while it waits, and is queued and placed once its time comes; a `runAt` already
 * past is queued at once.
 */
import { Schema } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody } from "../src/api/errors.ts";
import { command, eventually, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const post = (body: object): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

const refused = async (path: string, body: object) => {
  const r = await h.fetch(path, post(body));
  const error = Schema.decodeUnknownSync(ErrorBody)(await r.json()).error;
  expect([r.status, error.code]).toEqual([400, "invalid_input"]);
  return (error.details as Array<{ path: string; message: string }>).map((i) => i.path);
};

describe("API: delayed jobs", () => {
  it("400 for a bad runAt or delayMs, or both at once, naming the field; nothing stored", async () => {
    h = await startApi();
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(await refused("/api/v1/jobs", command("both", { runAt: later, delayMs: 10 }))).toEqual([
      "delayMs",
    ]);
    for (const runAt of [
      "tomorrow",
      "2026-12-05",
      "2026-02-30T10:00:00Z",
      "2026-12-05T10:00:00",
      5,
    ]) {
      expect(await refused("/api/v1/jobs", command("bad time", { runAt }))).toEqual(["runAt"]);
    }
    for (const delayMs of [-1, 1.5, "10", 400 * 24 * 3_600_000]) {
      expect(await refused("/api/v1/jobs", command("bad delay", { delayMs }))).toEqual(["delayMs"]);
    }
    const batch = await refused("/api/v1/jobs/batch", {
      jobs: [command("fine", { delayMs: 5 }), command("both", { runAt: later, delayMs: 1 })],
    });
    expect(batch).toEqual(["jobs.1.delayMs"]);
    expect((await h.run(h.store.jobs.list({ limit: 100 }))).jobs).toEqual([]);
  });

  it("lists a delayed job under state=delayed, says until when, and cancels it while it waits", async () => {
    h = await startApi();
    const runAt = new Date(Date.now() + 3_600_000);
    const created = await h.json(
      "/api/v1/jobs",
      post(command("later", { runAt: runAt.toISOString() })),
    );
    expect([created.status, created.body.state]).toEqual([201, "delayed"]);
    const id = created.body.id as string;
    const delayed = await h.json("/api/v1/jobs?state=delayed");
    expect(delayed.body.jobs.map((j: { id: string }) => j.id)).toEqual([id]);
    expect((await h.json("/api/v1/jobs?state=queued")).body.jobs).toEqual([]);
    const got = await h.json(`/api/v1/jobs/${id}`);
    expect(got.body.waiting.reason).toBe(`delayed until ${runAt.toISOString()}`);
    // A parked actor: a timer of the supervisor, not a live job.
    expect(h.core.liveJobs()).toBe(0);
    expect(h.core.system.timerOf(`job/${id}`)).toBe(runAt.getTime());
    const cancel = await h.json(`/api/v1/jobs/${id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(202);
    const ended = await eventually(async () => {
      const j = await h.json(`/api/v1/jobs/${id}`);
      return j.body.state === "cancelled" ? j.body : undefined;
    }, "the cancel");
    expect(ended.transitions.map((t: { state: string }) => t.state)).toEqual([
      "delayed",
      "cancelled",
    ]);
    expect(h.core.system.timerOf(`job/${id}`)).toBeUndefined();
    expect((await h.json("/api/v1/jobs?state=delayed")).body.jobs).toEqual([]);
  });

  it("queues and places a delayed job at its time; a runAt already past is queued at once", async () => {
    h = await startApi();
    await h.register("w1");
    const soon = await h.json("/api/v1/jobs", post(command("soon", { delayMs: 300 })));
    expect(soon.body.state).toBe("delayed");
    const past = await h.json(
      "/api/v1/jobs",
      post(command("past", { runAt: new Date(Date.now() - 1_000).toISOString() })),
    );
    expect(past.body.state).not.toBe("delayed");
    await h.assignment(past.body.id);
    const placed = await h.assignment(soon.body.id);
    expect(placed.attempt).toBe(1);
    const job = (await h.json(`/api/v1/jobs/${soon.body.id}`)).body;
    const queued = job.transitions.find((t: { state: string }) => t.state === "queued");
    expect(queued.at).toBeGreaterThanOrEqual(job.createdAt + 300);
    // A batch mixing delayed and immediate jobs: one commit, each in its own state.
    const batch = await h.json(
      "/api/v1/jobs/batch",
      post({ jobs: [command("now"), command("in an hour", { delayMs: 3_600_000 })] }),
    );
    expect(batch.body.jobs.map((j: { state: string }) => j.state)).toEqual(["queued", "delayed"]);
    await h.assignment(batch.body.jobs[0].id);
  });
});
