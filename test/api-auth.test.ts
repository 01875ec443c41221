/**
 * Who may use the API, against the real server: every /api/v1 route asks for a token of its
 * role (401 without a usable one, 403 with a weaker role — checked route by route from the
 * OpenAPI document), tokens are created, listed and revoked through the API and kept only as
 * digests, and the guards in front (Host on loopback, Origin, Content-Type) refuse what a web
 * page could send. Refused requests change nothing.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { requiredRoles } from "../src/api/definition.ts";
import type { Role } from "../src/domain/access.ts";
import { adminToken, command, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Any request, headers exactly as given (fetch would not send some of them). */
const raw = (
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: any }>(
    (resolve, reject) => {
      const req = request(`${url}${path}`, { method, headers }, (res) => {
        // A live stream (the event stream) never ends by itself: its status is the answer.
        if (String(res.headers["content-type"]).startsWith("text/event-stream")) {
          res.destroy();
          return resolve({ status: res.statusCode!, headers: res.headers, body: "" });
        }
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text.startsWith("{") ? JSON.parse(text) : text,
          }),
        );
      });
      req.on("error", reject);
      req.end(body);
    },
  );

/** The roles, weakest first: each may do what the ones before it may (stated independently). */
const roles: ReadonlyArray<Role> = ["read", "submit", "admin"];
const allows = (have: Role, need: Role) => roles.indexOf(have) >= roles.indexOf(need);

const jobCount = async () => (await h.run(h.store.jobs.list({ limit: 1000 }))).jobs.length;

/** Every operation of the served document, with a value for each path parameter. */
const operations = async () => {
  const doc = (await (await h.fetch("/api/v1/openapi.json")).json()) as any;
  const ids: Record<string, string> = { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", name: "ci" };
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{(\w+)\}/g, (_, p: string) => ids[p] ?? "x"),
      name: String(op.operationId).replace(/^\w+\./, ""),
      role: op["x-hodei-role"] as Role | undefined,
    })),
  );
};

describe("API tokens and roles", () => {
  it("asks every /api/v1 route for a token of its role: 401 without, 403 with a weaker one", async () => {
    h = await startApi();
    const ops = await operations();
    const declared = requiredRoles();
    const byRole = Object.fromEntries(
      await Promise.all(roles.map(async (r) => [r, await h.tokenOf(r)] as const)),
    ) as Record<Role, string>;
    let forbidden = 0;
    for (const op of ops) {
      const where = `${op.method} ${op.path}`;
      if (!op.path.startsWith("/api/v1") || op.name === "exchangeUiLink") {
        // The probes, and the trade of a one-time link's code (the code is the credential).
        expect(op.role, where).toBeUndefined();
        continue;
      }
      expect(op.role, where).toBe(declared.get(op.name));
      const headers = (token?: string): Record<string, string> => ({
        "content-type": "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      });
      const body = op.method === "POST" ? "{}" : undefined;
      const none = await raw(h.url, op.method, op.path, headers(), body);
      expect(none.status, where).toBe(401);
      expect(none.headers["www-authenticate"], where).toContain("Bearer");
      const wrong = await raw(h.url, op.method, op.path, headers("hodei_0_0"), body);
      expect(wrong.status, where).toBe(401);
      for (const role of roles) {
        const r = await raw(h.url, op.method, op.path, headers(byRole[role]), body);
        if (allows(role, op.role!)) expect(r.status, `${where} as ${role}`).not.toBe(403);
        else {
          forbidden++;
          expect(r.status, `${where} as ${role}`).toBe(403);
          expect(r.body.error).toMatchObject({ code: "forbidden", details: { required: op.role } });
        }
      }
    }
    expect(forbidden).toBeGreaterThan(10);
    expect(await jobCount()).toBe(0);
    expect((await raw(h.url, "GET", "/health", {})).status).toBe(200);
    expect((await raw(h.url, "GET", "/ready", {})).status).toBe(200);
  });

  it("gives each role its routes: read lists, submit submits, admin cancels", async () => {
    h = await startApi();
    const as = (token: string, init: RequestInit = {}) => ({
      ...init,
      headers: { authorization: `Bearer ${token}` },
    });
    const read = await h.tokenOf("read");
    const submit = await h.tokenOf("submit");
    const post = (body: unknown) => ({ method: "POST", body: JSON.stringify(body) });
    expect((await h.fetch("/api/v1/jobs", as(read))).status).toBe(200);
    expect((await h.fetch("/api/v1/jobs", as(read, post(command("x"))))).status).toBe(403);
    const created = await h.fetch("/api/v1/jobs", as(submit, post(command("x"))));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const cancel = `/api/v1/jobs/${id}/cancel`;
    expect((await h.fetch(cancel, as(submit, { method: "POST" }))).status).toBe(403);
    expect((await h.fetch(cancel, as(adminToken, { method: "POST" }))).status).toBe(202);
  });

  it("takes the Bearer scheme in any case, and nothing but a bearer token", async () => {
    h = await startApi();
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const r = await raw(h.url, "GET", "/api/v1/jobs", {
        authorization: `${scheme} ${adminToken}`,
      });
      expect(r.status, scheme).toBe(200);
    }
    for (const header of [adminToken, `Basic ${adminToken}`, `Bearer ${adminToken} x`, "Bearer"]) {
      expect((await raw(h.url, "GET", "/api/v1/jobs", { authorization: header })).status).toBe(401);
    }
  });

  it("creates, lists and revokes tokens; keeps only digests; refuses revoked and expired ones", async () => {
    h = await startApi({ auth: {} }); // stored tokens only: no configured admin token
    const first = await h.tokenOf("admin");
    const as = (token: string, init: RequestInit = {}) =>
      h.json("/api/v1/tokens", { ...init, headers: { authorization: `Bearer ${token}` } });
    const made = await h.json("/api/v1/tokens", {
      method: "POST",
      body: JSON.stringify({ role: "submit", name: "ci" }),
      headers: { authorization: `Bearer ${first}` },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ role: "submit", name: "ci" });
    expect(made.body.token).toMatch(/^hodei_[0-9a-f]{16}_[0-9a-f]{64}$/);
    const listed = await as(first);
    expect(listed.body.tokens.map((t: any) => t.role).sort()).toEqual(["admin", "submit"]);
    // Neither the API nor the store holds a secret.
    const secret = made.body.token.split("_")[2];
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(await h.run(h.store.credentials.listTokens()))).not.toContain(secret);

    const ci = made.body.token as string;
    const jobs = (token: string) =>
      raw(h.url, "GET", "/api/v1/jobs", { authorization: `Bearer ${token}` });
    expect((await jobs(ci)).status).toBe(200);
    const revoked = await h.json(`/api/v1/tokens/${made.body.id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${first}` },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeGreaterThan(0);
    expect((await jobs(ci)).status).toBe(401);
    // A tampered secret of a real id is as unknown as a made-up token.
    expect((await jobs(`${first.slice(0, -1)}${first.endsWith("0") ? "1" : "0"}`)).status).toBe(
      401,
    );

    const brief = await h.run(
      h.serving.api.keyring.create({ role: "read", name: "brief", expiresAt: Date.now() - 1 }, 0),
    );
    expect((await jobs(brief.token)).status).toBe(401);

    // The last usable admin token cannot go: nobody could make another.
    const last = await h.json(`/api/v1/tokens/${first.split("_")[1]}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${first}` },
    });
    expect(last.status).toBe(409);
    expect((await jobs(first)).status).toBe(200);

    const bad = await h.json("/api/v1/tokens", {
      method: "POST",
      body: JSON.stringify({ role: "root", expiresInMs: 5 }),
      headers: { authorization: `Bearer ${first}` },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((i: any) => i.path).sort()).toEqual(["expiresInMs", "role"]);
    const unknown = await h.json("/api/v1/tokens/0123456789abcdef/revoke", {
      method: "POST",
      headers: { authorization: `Bearer ${first}` },
    });
    expect(unknown.status).toBe(404);
    expect((await as(first)).body.tokens).toHaveLength(3);
  });

  it("serves /metrics without a token only when configured to", async () => {
    h = await startApi();
    expect((await raw(h.url, "GET", "/api/v1/metrics", {})).status).toBe(401);
    await h.close();
    h = await startApi({ publicMetrics: true });
    expect((await raw(h.url, "GET", "/api/v1/metrics", {})).status).toBe(200);
    expect((await raw(h.url, "GET", "/api/v1/jobs", {})).status).toBe(401);
  });

  it("asks for nothing with insecureNoAuth (the Host and Origin checks stay)", async () => {
    h = await startApi({ auth: { insecureNoAuth: true } });
    const r = await raw(h.url, "POST", "/api/v1/jobs", { "content-type": "application/json" }, "");
    expect(r.status).toBe(400); // past auth: the empty body is what is wrong
    expect((await raw(h.url, "GET", "/api/v1/jobs", { host: "evil.example" })).status).toBe(421);
    const page = { origin: "https://evil.example", "content-type": "application/json" };
    const body = JSON.stringify(command("x"));
    expect((await raw(h.url, "POST", "/api/v1/jobs", page, body)).status).toBe(403);
    expect(await jobCount()).toBe(0);
  });
});

describe("what a web page could send", () => {
  const auth = { authorization: `Bearer ${adminToken}` };
  const body = JSON.stringify(command("x"));

  it("421 for a Host that is not a loopback name (DNS rebinding), on a loopback bind", async () => {
    h = await startApi();
    const json = { ...auth, "content-type": "application/json" };
    for (const host of ["evil.example", "evil.example:8080", "10.0.0.1", "127.0.0.1.evil.io"]) {
      const r = await raw(h.url, "POST", "/api/v1/jobs", { ...json, host }, body);
      expect([host, r.status, r.body.error.code]).toEqual([host, 421, "misdirected_request"]);
    }
    for (const host of ["localhost:1", "127.0.0.1", "127.1.2.3:80", "[::1]:8080", "a.localhost"]) {
      expect((await raw(h.url, "GET", "/api/v1/jobs", { ...auth, host })).status, host).toBe(200);
    }
    expect(await jobCount()).toBe(0);
  });

  it("415 for a write that is not JSON: forms and text/plain", async () => {
    h = await startApi();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
      const r = await raw(h.url, "POST", "/api/v1/jobs", { ...auth, "content-type": type }, body);
      expect([type, r.status, r.body.error.code]).toEqual([type, 415, "unsupported_media_type"]);
    }
    const none = await raw(h.url, "POST", "/api/v1/jobs", auth, body);
    expect(none.status).toBe(415);
    const charset = { ...auth, "content-type": "Application/JSON; charset=utf-8" };
    expect((await raw(h.url, "POST", "/api/v1/jobs", charset, body)).status).toBe(201);
    expect(await jobCount()).toBe(1);
  });

  it("refuses a browser's cross-origin request unless its origin is allowed; answers its preflight", async () => {
    h = await startApi({ allowedOrigins: ["https://ops.example.com"] });
    const json = { ...auth, "content-type": "application/json" };
    const evil = await raw(
      h.url,
      "POST",
      "/api/v1/jobs",
      { ...json, origin: "https://evil.example" },
      body,
    );
    expect([evil.status, evil.body.error.code]).toEqual([403, "origin_refused"]);
    const opaque = await raw(h.url, "POST", "/api/v1/jobs", { ...json, origin: "null" }, body);
    expect(opaque.status).toBe(403);
    expect(await jobCount()).toBe(0);

    const same = new URL(h.url).origin;
    expect((await raw(h.url, "GET", "/api/v1/jobs", { ...auth, origin: same })).status).toBe(200);

    const ops = "https://ops.example.com";
    const preflight = await raw(h.url, "OPTIONS", "/api/v1/jobs", {
      origin: ops,
      "access-control-request-method": "POST",
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      "access-control-allow-origin": ops,
      "access-control-allow-headers": expect.stringContaining("authorization"),
    });
    const allowed = await raw(h.url, "POST", "/api/v1/jobs", { ...json, origin: ops }, body);
    expect(allowed.status).toBe(201);
    expect(allowed.headers["access-control-allow-origin"]).toBe(ops);
    expect(await jobCount()).toBe(1);
  });
});
