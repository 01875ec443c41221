/**
 * Input limits at the API's door, on LMDB (whose keys are at most 1,978 bytes: what turned a
 * 4,096-character id into a 500): a path id that cannot be an id of its kind is a 404 on every
 * route, whatever its length or content, and never reaches the store; text must be
 * well-formed UTF-16 — a lone surrogate is a 400 naming where it is.
 */
import { rmSync } from "node:fs";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { command, startApi, type Harness } from "./api-harness.ts";
import { tempDir } from "./fixtures/persistence-adapters.ts";

let h: Harness;
let dir: string;
beforeAll(async () => {
  dir = tempDir();
  h = await startApi({ store: await Effect.runPromise(openLmdbStore({ path: dir })) });
});
afterAll(async () => {
  await h.close();
  await Effect.runPromise(h.store.close);
  rmSync(dir, { recursive: true, force: true });
});

const routes = [
  ["GET", "/api/v1/jobs/:id"],
  ["GET", "/api/v1/jobs/:id/logs"],
  ["GET", "/api/v1/jobs/:id/logs/stream"],
  ["GET", "/api/v1/jobs/:id/placement"],
  ["POST", "/api/v1/jobs/:id/cancel"],
  ["POST", "/api/v1/jobs/:id/retry"],
  ["GET", "/api/v1/workers/:id"],
  ["POST", "/api/v1/workers/:id/drain"],
  ["GET", "/api/v1/pipelines/:id"],
  ["POST", "/api/v1/pipelines/:id/runs"],
  ["GET", "/api/v1/runs/:id"],
  ["POST", "/api/v1/runs/:id/cancel"],
  ["POST", "/api/v1/runs/:id/signal"],
  ["POST", "/api/v1/tokens/:id/revoke"],
] as const;

const ids = [
  "x".repeat(4096),
  "é".repeat(2000), // 12,000 characters once encoded: under the 16 KiB header limit
  "W".repeat(129),
  encodeURIComponent("../../etc/passwd"),
  "%ED%A0%80", // a lone surrogate, percent-encoded
  "%00",
  "01ARZ3NDEKTSV4RRFFQ69G5FA", // one character short of a ULID
];

describe("input limits", () => {
  it("answers 404 for a path id that cannot be one, on every route, at any length", async () => {
    const commits = h.store.stats().commits;
    for (const [method, template] of routes) {
      for (const id of ids) {
        const path = template.replace(":id", id);
        const init: RequestInit =
          method === "POST" ? { method, body: JSON.stringify({ type: "go", input: null }) } : {};
        const r = await h.json(path, init);
        const where = `${method} ${template} with ${id.slice(0, 20)} (${id.length})`;
        expect(r.status, where).toBe(404);
        expect(r.body.error.code, where).toMatch(/^(not_found|route_not_found)$/);
      }
    }
    expect(h.store.stats().commits).toBe(commits);
  });

  it("refuses a lone surrogate anywhere in a body, naming where; takes real astral characters", async () => {
    const post = (text: string) => h.json("/api/v1/jobs", { method: "POST", body: text });
    const lone = await post('{"name":"job \\ud800","command":{"argv":["true"]}}');
    expect([lone.status, lone.body.error.details[0].path]).toEqual([400, "name"]);
    const deep = await post(
      '{"name":"x","command":{"argv":["echo","ok","\\udfff"]},"labels":{"a":"b"}}',
    );
    expect([deep.status, deep.body.error.details[0].path]).toEqual([400, "command.argv.2"]);
    const key = await post('{"name":"x","command":{"argv":["true"]},"labels":{"\\ud83d":"v"}}');
    expect([key.status, key.body.error.details[0].path]).toEqual([400, "labels.\ud83d"]);
    expect((await h.run(h.store.jobs.list({ limit: 10 }))).jobs).toHaveLength(0);

    const emoji = await post(JSON.stringify(command("deploy 🚀", { labels: { icon: "✅" } })));
    expect(emoji.status).toBe(201);
    expect(emoji.body.spec.name).toBe("deploy 🚀");
  });

  it("names the limits of names and labels in the refusal, never a 500", async () => {
    const r = await h.json("/api/v1/jobs", {
      method: "POST",
      body: JSON.stringify(
        command("n".repeat(129), { labels: { ["k".repeat(64)]: "v", ok: "v".repeat(256) } }),
      ),
    });
    expect(r.status).toBe(400);
    const paths = (r.body.error.details as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "labels.ok"]));
    expect(r.body.error.message).toMatch(/at most 128|128/);
  });
});
