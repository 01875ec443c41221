/**
 * The OpenAPI document served at /api/v1/openapi.json: it parses, it is a well-formed OpenAPI
 * 3.1 document (every reference resolves, every path parameter is declared, operation ids are
 * unique), and it lists exactly the routes the server answers — every documented operation is
 * routed, and paths or methods outside the document are not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { command, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
let doc: any;
beforeAll(async () => {
  h = await startApi();
  const res = await h.fetch("/api/v1/openapi.json");
  expect(res.headers.get("content-type")).toBe("application/json");
  doc = JSON.parse(await res.text());
});
afterAll(() => h.close());

const methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

const operations = (): Array<{ method: string; path: string; op: any }> =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => methods.includes(m))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );

/** `/api/v1/jobs/{id}` with a value for each parameter. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "01ARZ3NDEKTSV4RRFFQ69G5FAV");

describe("OpenAPI document", () => {
  it("is an OpenAPI 3.1 document whose references all resolve", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "Hodei", version: "v1" });
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) {
      expect(ref.startsWith("#/components/schemas/"), ref).toBe(true);
      expect(doc.components.schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("declares each operation's parameters, answers and error shape", () => {
    const ids = new Set<string>();
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect(ids.has(op.operationId), where).toBe(false);
      ids.add(op.operationId);
      const declared = (op.parameters as Array<{ in: string; name: string }>)
        .filter((p) => p.in === "path")
        .map((p) => p.name);
      expect(declared.sort(), where).toEqual(
        [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort(),
      );
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => s.startsWith("2")),
        where,
      ).toBe(true);
      for (const s of statuses.filter((s) => Number(s) >= 400)) {
        expect(op.responses[s].content["application/json"].schema, `${where} ${s}`).toEqual({
          $ref: "#/components/schemas/Error",
        });
      }
      const open = path === "/health" || path === "/ready" || path === "/api/v1/ui/exchange";
      expect(op.security.length > 0, where).toBe(!open);
      if (!open) expect(statuses, where).toContain("401");
    }
    expect(doc.components.schemas.Error.properties.error.required).toEqual([
      "code",
      "message",
      "details",
    ]);
  });

  it("lists exactly the routes the server answers", async () => {
    const documented = operations()
      .map(({ method, path }) => `${method} ${path.replace(/\{([^}]+)\}/g, ":$1")}`)
      .sort();
    const routed = h.serving.api.routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(routed);
    expect(documented).toEqual(
      expect.arrayContaining([
        "POST /api/v1/jobs",
        "POST /api/v1/jobs/batch",
        "GET /api/v1/jobs",
        "GET /api/v1/jobs/:id",
        "POST /api/v1/jobs/:id/cancel",
        "POST /api/v1/jobs/:id/retry",
        "GET /api/v1/jobs/:id/logs",
        "GET /api/v1/jobs/:id/logs/stream",
        "GET /api/v1/jobs/:id/placement",
        "GET /api/v1/workers",
        "GET /api/v1/workers/:id",
        "POST /api/v1/workers/:id/drain",
        "POST /api/v1/workers/prune",
        "GET /api/v1",
        "GET /api/v1/pipelines",
        "GET /api/v1/metrics",
        "GET /api/v1/openapi.json",
        "GET /health",
        "GET /ready",
      ]),
    );

    // Every documented operation is answered by a route (whatever the answer, never "no route").
    for (const { method, path } of operations()) {
      const body =
        method === "POST" && !path.includes("{") ? JSON.stringify(command("probe")) : undefined;
      const res = await h.fetch(concrete(path), { method, ...(body ? { body } : {}) });
      // A live stream never ends by itself: its headers are the answer.
      const streaming = res.headers.get("content-type")?.startsWith("text/event-stream");
      const text = streaming ? (await res.body?.cancel(), "") : await res.text();
      expect(text.includes("route_not_found") || res.status === 405, `${method} ${path}`).toBe(
        false,
      );
    }
    // And nothing else is: other paths have no route, other methods are not allowed.
    for (const path of [
      "/api/v2",
      "/api/v1/job",
      "/api/v1/jobs/x/y/z",
      "/metrics",
      "/openapi.json",
    ]) {
      expect((await h.json(path)).body.error.code, path).toBe("route_not_found");
    }
    for (const { method, path } of operations()) {
      const other = method === "GET" ? "PUT" : "GET";
      if (operations().some((o) => o.path === path && o.method === other)) continue;
      const res = await h.json(concrete(path), { method: other });
      expect(res.status, `${other} ${path}`).toBe(405);
    }
  });
});
