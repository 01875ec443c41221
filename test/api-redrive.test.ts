/**
 * Dead letters over the API: failed jobs found by state, handler, error text and time; redrive
 * by filter or by ids runs each again as the same job (its next attempt, its history kept),
 * refuses what is not finished, and bad requests change nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { command, eventually, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const post = (body: object): RequestInit => ({ method: "POST", body: JSON.stringify(body) });
const handler = (name: string) => ({ name, handler: { name: "resize" } });
const ids = (body: { jobs: Array<{ id: string }> }) => body.jobs.map((j) => j.id).sort();

describe("API: dead letters and redrive", () => {
  it("finds failed jobs by handler, error and time, and redrives them as the same jobs", async () => {
    h = await startApi();
    await h.register("w1", { handlers: ["resize"] });
    const a = (await h.json("/api/v1/jobs", post(handler("a")))).body.id as string;
    const b = (await h.json("/api/v1/jobs", post(handler("b")))).body.id as string;
    const c = (await h.json("/api/v1/jobs", post(command("c")))).body.id as string;
    await h.finish(a, { kind: "failed", error: "S3 bucket not found" });
    await h.finish(b, { kind: "failed", error: "out of memory" });
    await h.finish(c, { kind: "failed", exitCode: 1, error: "exit 1" });
    await eventually(async () =>
      (await h.json("/api/v1/jobs?state=failed")).body.jobs.length === 3 ? true : undefined,
    );
    expect(ids((await h.json("/api/v1/jobs?state=failed&handler=resize")).body)).toEqual(
      [a, b].sort(),
    );
    expect(ids((await h.json("/api/v1/jobs?state=failed&error=BUCKET")).body)).toEqual([a]);
    expect(ids((await h.json("/api/v1/jobs?state=failed&since=1h")).body)).toEqual(
      [a, b, c].sort(),
    );
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await h.json(`/api/v1/jobs?state=failed&since=${future}`)).body.jobs).toEqual([]);
    expect((await h.json("/api/v1/jobs?since=yesterday")).status).toBe(400);

    // Bad requests: nothing is redriven.
    expect(
      (await h.json("/api/v1/jobs/redrive", post({ ids: [a], state: ["failed"] }))).status,
    ).toBe(400);
    expect((await h.json("/api/v1/jobs/redrive", post({ state: ["queued"] }))).status).toBe(400);
    expect((await h.json("/api/v1/jobs/redrive", post({ ids: ["not-an-id"] }))).status).toBe(400);
    expect((await h.json("/api/v1/jobs?state=failed")).body.jobs).toHaveLength(3);

    const byFilter = await h.json("/api/v1/jobs/redrive", post({ handler: "resize", since: "1h" }));
    expect(byFilter.status).toBe(200);
    expect(byFilter.body.redriven.map((r: { id: string }) => r.id).sort()).toEqual([a, b].sort());
    expect(byFilter.body.redriven.map((r: { state: string }) => r.state)).toEqual([
      "queued",
      "queued",
    ]);
    // Queued again: a second redrive refuses them, by name and reason.
    const again = await h.json("/api/v1/jobs/redrive", post({ ids: [a, c] }));
    expect(again.body.redriven.map((r: { id: string }) => r.id)).toEqual([c]);
    expect(again.body.refused).toEqual([
      { id: a, reason: expect.stringMatching(/only a finished job/) },
    ]);

    // The same job, its next attempt: it runs and succeeds; its history keeps the failure.
    await eventually(() =>
      h.assigned.filter(([, x]) => x.jobId === a).length === 2 ? true : undefined,
    );
    const second = await h.assignment(a);
    expect(second.attempt).toBe(2);
    await h.finish(a);
    const done = await eventually(async () => {
      const j = (await h.json(`/api/v1/jobs/${a}`)).body;
      return j.state === "succeeded" ? j : undefined;
    });
    expect(
      done.transitions.map((t: { state: string; attempt: number }) => `${t.state}:${t.attempt}`),
    ).toEqual(["queued:0", "scheduled:1", "failed:1", "queued:1", "scheduled:2", "succeeded:2"]);
    expect(done.attempt).toBe(2);
  });
});
