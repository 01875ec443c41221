/**
 * Every error status of the API, each in the one error shape, against the real server: bad
 * JSON and schemas, auth on and off, unknown ids and routes, conflicts, bodies over the limit
 * (declared and streamed), unplaceable jobs, not ready and shutting down. Refused requests
 * change nothing.
 */
import { Schema } from "effect";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody } from "../src/api/errors.ts";
import { normalizeApiOptions } from "../src/api/options.ts";
import { pipeline } from "../src/pipeline/dag.ts";
import { adminToken, command, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const post = (body: string | object, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  body: typeof body === "string" ? body : JSON.stringify(body),
  headers,
});

/** The answer, checked to be the error shape with this status and code. */
const expectError = async (res: Promise<Response>, status: number, code: string) => {
  const r = await res;
  const body = Schema.decodeUnknownSync(ErrorBody)(await r.json());
  expect([r.status, body.error.code]).toEqual([status, code]);
  return { body, headers: r.headers };
};

const jobCount = async (h: Harness) =>
  (await h.run(h.store.jobs.list({ limit: 1000 }))).jobs.length;

/** Raw HTTP over a socket: for requests fetch will not send (a lying Content-Length). */
const rawRequest = (url: string, head: string, body = "") =>
  new Promise<string>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname, () => socket.write(head + body));
    let answer = "";
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });

describe("API errors", () => {
  it("400: malformed JSON, an empty body, and a spec that breaks the schema, with the issues' paths", async () => {
    h = await startApi();
    const bad = await expectError(h.fetch("/api/v1/jobs", post("{ nope")), 400, "invalid_json");
    expect(bad.body.error.message).toContain("not valid JSON");
    await expectError(h.fetch("/api/v1/jobs", post("")), 400, "invalid_json");
    const invalid = await expectError(
      h.fetch(
        "/api/v1/jobs",
        post({ name: "x", comand: { argv: ["true"] }, resources: { memoryMb: -1 } }),
      ),
      400,
      "invalid_input",
    );
    const paths = (invalid.body.error.details as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["comand", "resources.memoryMb"]));
    const batch = await expectError(
      h.fetch("/api/v1/jobs/batch", post({ jobs: [command("ok"), { name: "no work" }] })),
      400,
      "invalid_input",
    );
    expect((batch.body.error.details as Array<{ path: string }>)[0]!.path).toMatch(/^jobs\.1/);
    await expectError(h.fetch("/api/v1/jobs/batch", post({ jobs: [] })), 400, "invalid_input");
    await expectError(h.fetch("/api/v1/jobs/batch", post([command("a")])), 400, "invalid_input");
    expect(await jobCount(h)).toBe(0);
  });

  it("400: a body nested deeper than 64 levels, on every route that reads one, before anything walks it; nothing changes", async () => {
    h = await startApi({
      pipelines: [pipeline("ci").step("build", { command: { argv: ["true"] } })],
    });
    const run = await h.json("/api/v1/pipelines/ci/runs", { method: "POST", body: "{}" });
    await h.run(h.core.settled);
    const ids: Record<string, string> = { id: run.body.id, name: "ci" };
    const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    const doc = (await h.json("/api/v1/openapi.json")).body as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const withBody = Object.entries(doc.paths).flatMap(([template, item]) =>
      Object.entries(item)
        .filter(([, op]) => op.requestBody !== undefined)
        .map(
          ([method]) =>
            [
              method.toUpperCase(),
              template.replace(/\{(\w+)\}/g, (_, p: string) => ids[p]!),
            ] as const,
        ),
    );
    expect(withBody.length).toBeGreaterThan(5);
    const commits = h.store.stats().commits;
    // 30,000 levels: valid JSON, 60 KB, and deep enough to overflow a recursive walk (an
    // error message quoting it did, and the request was never answered).
    for (const [method, path] of withBody) {
      const r = await expectError(
        h.fetch(path, { method, body: nested(30_000) }),
        400,
        "invalid_input",
      );
      expect(r.body.error.message, `${method} ${path}`).toContain("nested at most 64 levels");
    }
    expect(h.store.stats().commits).toBe(commits);
    // 64 levels are parsed and refused by the schema, 65 by their depth.
    const at64 = await expectError(h.fetch("/api/v1/jobs", post(nested(64))), 400, "invalid_input");
    expect(at64.body.error.message).not.toContain("nested");
    const at65 = await expectError(h.fetch("/api/v1/jobs", post(nested(65))), 400, "invalid_input");
    expect(at65.body.error.message).toContain("nested at most 64 levels");
    expect(await jobCount(h)).toBe(1);
  });

  it("400: bad query parameters, each named", async () => {
    h = await startApi();
    const r = await expectError(
      h.fetch("/api/v1/jobs?state=bogus&limit=0&color=red"),
      400,
      "invalid_input",
    );
    const paths = (r.body.error.details as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["state.0", "limit", "color"]));
    await expectError(h.fetch("/api/v1/jobs?cursor=garbage"), 400, "invalid_input");
    await expectError(h.fetch("/api/v1/workers?x=1"), 400, "invalid_input");
  });

  it("401 on every route but /health and /ready without the token; none asked with insecureNoAuth", async () => {
    h = await startApi({ auth: { token: "s3cret" } });
    const bare = (path: string, init: RequestInit = {}) => fetch(`${h.url}${path}`, init);
    for (const path of [
      "/api/v1/jobs",
      "/api/v1/workers",
      "/api/v1/metrics",
      "/api/v1/openapi.json",
      "/api/v1/pipelines",
    ]) {
      const { headers } = await expectError(bare(path), 401, "unauthorized");
      expect(headers.get("www-authenticate")).toContain("Bearer");
    }
    await expectError(
      bare("/api/v1/jobs", { ...post(command("x")), headers: { authorization: "Bearer wrong!" } }),
      401,
      "unauthorized",
    );
    expect((await bare("/health")).status).toBe(200);
    expect((await bare("/ready")).status).toBe(200);
    // The harness sends the token.
    expect((await h.fetch("/api/v1/jobs", post(command("x")))).status).toBe(201);
    expect(await jobCount(h)).toBe(1);
    await h.close();

    h = await startApi({ auth: { insecureNoAuth: true } });
    expect((await fetch(`${h.url}/api/v1/jobs`)).status).toBe(200);
  });

  it("404 for unknown ids and routes, 405 for a known path with another method", async () => {
    h = await startApi();
    const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    for (const path of [
      `/api/v1/jobs/${unknown}`,
      `/api/v1/jobs/not-even-an-id`,
      `/api/v1/jobs/${unknown}/logs`,
      `/api/v1/jobs/${unknown}/logs/stream`,
      `/api/v1/jobs/${unknown}/placement`,
      `/api/v1/workers/w-nope`,
    ]) {
      await expectError(h.fetch(path), 404, "not_found");
    }
    await expectError(
      h.fetch(`/api/v1/jobs/${unknown}/cancel`, { method: "POST" }),
      404,
      "not_found",
    );
    await expectError(
      h.fetch(`/api/v1/jobs/${unknown}/retry`, { method: "POST" }),
      404,
      "not_found",
    );
    await expectError(
      h.fetch(`/api/v1/workers/w-nope/drain`, { method: "POST" }),
      404,
      "not_found",
    );
    await expectError(h.fetch("/api/v2/jobs"), 404, "route_not_found");
    await expectError(h.fetch("/nope"), 404, "route_not_found");
    const wrong = await expectError(
      h.fetch("/api/v1/jobs", { method: "DELETE" }),
      405,
      "method_not_allowed",
    );
    expect(wrong.headers.get("allow")).toBe("POST, GET");
  });

  it("409 for cancelling a finished job", async () => {
    h = await startApi();
    await h.register("agent-1");
    const { body: job } = await h.json("/api/v1/jobs", post(command("quick")));
    await h.start(job.id);
    await h.finish(job.id);
    const r = await expectError(
      h.fetch(`/api/v1/jobs/${job.id}/cancel`, { method: "POST" }),
      409,
      "conflict",
    );
    expect(r.body.error.details).toEqual({ state: "succeeded" });
  });

  it("413 for a body over the limit, streamed or declared, before parsing; the connection survives for the next client", async () => {
    h = await startApi({ bodyLimitBytes: 1024 });
    const big = JSON.stringify(command("x", { labels: { pad: "y".repeat(2000) } }));
    await expectError(h.fetch("/api/v1/jobs", post(big)), 413, "payload_too_large");
    // Not valid JSON either: refused for its size, never parsed.
    await expectError(h.fetch("/api/v1/jobs", post("x".repeat(5000))), 413, "payload_too_large");
    // A declared length far past the limit: answered at once, without waiting for the body.
    const answer = await rawRequest(
      h.url,
      `POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`,
      "{",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('"payload_too_large"');
    // Expect: 100-continue is refused before the body is sent.
    const early = await rawRequest(
      h.url,
      `POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n`,
    );
    expect(early).toMatch(/^HTTP\/1\.1 413/);
    expect(await jobCount(h)).toBe(0);
    // Under the limit it is let through.
    const small = JSON.stringify(command("continued"));
    const continued = await rawRequest(
      h.url,
      `POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${small.length}\r\nConnection: close\r\n\r\n`,
      small,
    );
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(continued).toContain("HTTP/1.1 201 Created");
    expect(await jobCount(h)).toBe(1);
    expect((await h.fetch("/api/v1/jobs", post(command("small")))).status).toBe(201);
    expect(await jobCount(h)).toBe(2);
  });

  it("413 past the default limit of 1 MiB", async () => {
    h = await startApi();
    const pad = "y".repeat(1024 * 1024);
    await expectError(
      h.fetch("/api/v1/jobs", post(command("x", { labels: { pad } }))),
      413,
      "payload_too_large",
    );
    expect(await jobCount(h)).toBe(0);
  });

  it("422 with requirePlaceable=1 for a job no worker could ever take; without it, accepted and queued", async () => {
    h = await startApi();
    await h.register("small", { labels: { zone: "a" } });
    const r = await expectError(
      h.fetch(
        "/api/v1/jobs?requirePlaceable=1",
        post(command("huge", { resources: { memoryMb: 1_000_000 } })),
      ),
      422,
      "unplaceable",
    );
    expect(r.body.error.message).toContain("even when empty");
    await expectError(
      h.fetch("/api/v1/jobs?requirePlaceable=1", post(command("gpu", { labels: { gpu: "true" } }))),
      422,
      "unplaceable",
    );
    expect(await jobCount(h)).toBe(0);
    expect(
      (
        await h.fetch(
          "/api/v1/jobs?requirePlaceable=1",
          post(command("fits", { labels: { zone: "a" } })),
        )
      ).status,
    ).toBe(201);
    const accepted = await h.json(
      "/api/v1/jobs",
      post(command("gpu", { labels: { gpu: "true" } })),
    );
    expect([accepted.status, accepted.body.state]).toEqual([201, "queued"]);
  });

  it("503 from /ready while a check fails, and from submits once the API stops accepting", async () => {
    let hwp = false;
    h = await startApi({ readiness: () => ({ store: true, hwp }) });
    const notReady = await expectError(h.fetch("/ready"), 503, "not_ready");
    expect(notReady.body.error.details).toEqual({
      ready: false,
      checks: { store: true, hwp: false, accepting: true },
    });
    hwp = true;
    expect((await h.fetch("/ready")).status).toBe(200);

    h.serving.api.stopAccepting();
    await expectError(h.fetch("/api/v1/jobs", post(command("late"))), 503, "shutting_down");
    await expectError(
      h.fetch("/api/v1/jobs/batch", post({ jobs: [command("late")] })),
      503,
      "shutting_down",
    );
    await expectError(h.fetch("/ready"), 503, "not_ready");
    expect((await h.fetch("/api/v1/jobs")).status).toBe(200);
    expect(await jobCount(h)).toBe(0);
  });

  it("refuses bad options with a precise message", () => {
    expect(() => normalizeApiOptions({ auth: {}, bodyLimitBytes: 0 })).toThrow(
      "api option bodyLimitBytes: expected an integer from 1 to 1073741824, got 0",
    );
    expect(() => normalizeApiOptions({ auth: { token: "has space" } })).toThrow(/auth.token/);
    expect(() => normalizeApiOptions({ auth: {}, allowedOrigins: ["evil.com"] })).toThrow(
      /allowedOrigins/,
    );
    expect(normalizeApiOptions({ auth: {} }).bodyLimitBytes).toBe(1024 * 1024);
  });
});
