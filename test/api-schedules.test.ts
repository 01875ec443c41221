/**
 * Schedules over the API: bad input is refused with the field named and nothing stored (a bad
 * cron, an unknown time zone, job and pipeline both or neither, a key or runAt in the job);
 * a duplicate name is 409, an unknown one 404; a schedule is created, listed, shown with its
 * next due times, paused (no next times), resumed, triggered (its job made now with the
 * firing's key) and deleted.
 */
import { Schema } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody } from "../src/api/errors.ts";
import { command, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const post = (body?: object): RequestInit => ({
  method: "POST",
  ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
});

const failed = async (path: string, init: RequestInit, status: number, code: string) => {
  const r = await h.fetch(path, init);
  const error = Schema.decodeUnknownSync(ErrorBody)(await r.json()).error;
  expect([r.status, error.code]).toEqual([status, code]);
  return error;
};

const nightly = {
  name: "nightly",
  cron: "0 3 * * *",
  timezone: "Europe/Madrid",
  job: command("report"),
};

describe("API: schedules", () => {
  it("400 for bad input, each field named, nothing stored; 409 for a name taken; 404 for none", async () => {
    h = await startApi();
    const bad: Array<[object, string]> = [
      [{ ...nightly, cron: "61 * * * *" }, "cron"],
      [{ ...nightly, cron: "* * *" }, "cron"],
      [{ ...nightly, cron: "@often" }, "cron"],
      [{ ...nightly, timezone: "Mars/Olympus_Mons" }, "timezone"],
      [{ ...nightly, name: "no spaces" }, "name"],
      [{ ...nightly, overlap: "sometimes" }, "overlap"],
      [{ ...nightly, catchUp: "most" }, "catchUp"],
      [{ ...nightly, pipeline: "etl" }, "pipeline"],
      [{ name: "etl", cron: "* * * * *", pipeline: "not-registered" }, "pipeline"],
      [{ name: "x", cron: "* * * * *" }, "job"],
      [{ ...nightly, job: command("r", { idempotencyKey: "k" }) }, "job.idempotencyKey"],
      [{ ...nightly, job: command("r", { runAt: "2030-01-01T00:00:00Z" }) }, "job.runAt"],
      [{ ...nightly, job: { name: "no work" } }, "job.command"],
    ];
    for (const [body, field] of bad) {
      const error = await failed("/api/v1/schedules", post(body), 400, "invalid_input");
      const paths = (error.details as Array<{ path: string }>).map((i) => i.path);
      expect(paths, JSON.stringify(body)).toContain(field);
    }
    expect((await h.json("/api/v1/schedules")).body.schedules).toEqual([]);
    expect((await h.json("/api/v1/schedules", post(nightly))).status).toBe(201);
    await failed("/api/v1/schedules", post({ ...nightly, cron: "* * * * *" }), 409, "conflict");
    expect((await h.json("/api/v1/schedules/nightly")).body.spec.cron).toBe("0 3 * * *");
    for (const [path, init] of [
      ["/api/v1/schedules/nope", {}],
      ["/api/v1/schedules/nope", { method: "DELETE" }],
      ["/api/v1/schedules/nope/pause", post()],
      ["/api/v1/schedules/nope/resume", post()],
      ["/api/v1/schedules/nope/trigger", post()],
    ] as const) {
      await failed(path, init, 404, "not_found");
    }
  });

  it("creates, lists, shows next times, pauses, resumes, triggers and deletes", async () => {
    h = await startApi();
    const created = await h.json("/api/v1/schedules", post(nightly));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      spec: { name: "nightly", overlap: "skip", catchUp: "latest", timezone: "Europe/Madrid" },
      paused: false,
      last: null,
    });
    // 03:00 in Madrid: 02:00 UTC in winter, 01:00 in summer; one a day.
    const next = created.body.next as string[];
    expect(next).toHaveLength(5);
    for (const t of next) expect(["01:00:00.000Z", "02:00:00.000Z"]).toContain(t.slice(11));
    expect(new Set(next.map((t) => t.slice(0, 10))).size).toBe(5);
    expect((await h.json("/api/v1/schedules")).body.schedules.map((s: any) => s.spec.name)).toEqual(
      ["nightly"],
    );

    const paused = await h.json("/api/v1/schedules/nightly/pause", post());
    expect([paused.status, paused.body.paused, paused.body.next]).toEqual([200, true, []]);
    const resumed = await h.json("/api/v1/schedules/nightly/resume", post());
    expect([resumed.body.paused, resumed.body.next]).toEqual([false, next]);

    const fired = await h.json("/api/v1/schedules/nightly/trigger", post());
    expect(fired.status).toBe(201);
    expect(fired.body.outcome).toBe("fired");
    const job = (await h.json(`/api/v1/jobs/${fired.body.last.id}`)).body;
    expect(job.spec.idempotencyKey).toBe(
      `schedule/nightly/${new Date(fired.body.at).toISOString()}`,
    );
    expect((await h.json("/api/v1/schedules/nightly")).body.last.id).toBe(job.id);
    const metrics = await (await h.fetch("/api/v1/metrics")).text();
    expect(metrics).toContain('hodei_schedule_fires_total{schedule="nightly",outcome="fired"} 1');

    const gone = await h.fetch("/api/v1/schedules/nightly", { method: "DELETE" });
    expect(gone.status).toBe(204);
    expect((await h.json("/api/v1/schedules/nightly")).status).toBe(404);
    expect((await h.json("/api/v1/schedules")).body.schedules).toEqual([]);
  });
});
