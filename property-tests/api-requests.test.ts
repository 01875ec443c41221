/**
 * Property: whatever arrives over HTTP, the API answers — never a 5xx, never a crash — and a
 * request it refuses (4xx) changes nothing in the store.
 *
 * Requests are drawn from the served OpenAPI document: every route, usually with its own
 * method and sometimes another; path parameters that are real ids, well-shaped unknown ones,
 * or anything (up to thousands of characters, any Unicode, lone surrogates, slashes, percent
 * signs, dots); known and unknown query parameters; bodies that are valid specs, specs with a
 * field gone wrong, arbitrary JSON, deeply nested JSON, JSON with `__proto__` or a lone
 * surrogate escape, text that is not JSON, or over the size limit; and headers of every kind —
 * tokens of each role, wrong and malformed ones, any content type, a foreign Host or Origin.
 *
 * The store is LMDB (its key size limit is what turned a long id into a 500 before), behind the
 * real server. "Changes nothing" is its commit counter, read once the core has settled before
 * and after the request.
 */
import { request } from "node:http";
import { rmSync } from "node:fs";
import { Effect } from "effect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { pipeline } from "../src/pipeline/dag.ts";
import { adminToken, command, startApi, type Harness } from "../test/api-harness.ts";
import { tempDir } from "../test/fixtures/persistence-adapters.ts";

let h: Harness;
let dir: string;
let operations: Array<{ method: string; template: string; query: string[] }>;
/** Real values for each path parameter, and tokens of each role. */
const known = { id: [] as string[], name: ["ci"] };
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  const ci = pipeline("ci").step("build", { command: { argv: ["true"] } });
  h = await startApi({
    store: await Effect.runPromise(openLmdbStore({ path: dir })),
    pipelines: [ci],
    bodyLimitBytes: 64 * 1024,
    // Nothing happens on its own while the property runs: no deadline passes.
    config: { heartbeatTimeoutMs: 86_400_000, acceptTimeoutMs: 86_400_000 },
  });
  const workerId = await h.register("w1");
  const submitted = await h.json("/api/v1/jobs", {
    method: "POST",
    body: JSON.stringify(command("seed")),
  });
  const run = await h.json("/api/v1/pipelines/ci/runs", { method: "POST", body: "{}" });
  for (const role of ["read", "submit", "admin"] as const) tokens[role] = await h.tokenOf(role);
  const listed = await h.json("/api/v1/tokens");
  known.id.push(workerId, submitted.body.id, run.body.id, listed.body.tokens[0].id);

  const doc = (await h.json("/api/v1/openapi.json")).body;
  operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
    ([template, item]) =>
      Object.entries(item).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        query: ((op.parameters ?? []) as Array<{ in: string; name: string }>)
          .filter((p) => p.in === "query")
          .map((p) => p.name),
      })),
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (h) await Effect.runPromise(h.store.close);
  rmSync(dir, { recursive: true, force: true });
});

/** Percent-encodes anything, lone surrogates included (encodeURIComponent throws on those). */
const encode = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s]
      .map((c) => {
        const u = c.charCodeAt(0);
        if (u < 0xd800 || u > 0xdfff) return encodeURIComponent(c);
        return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
          .map((b) => `%${b.toString(16).toUpperCase()}`)
          .join("");
      })
      .join("");
  }
};

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.string({ unit: "binary", maxLength: 50 }),
  fc.constantFrom("", ".", "..", "../..", "a/b", "%", "%zz", "\ud800", "w-1\u0000", " "),
  fc.integer({ min: 1, max: 6_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 1, max: 2_000 }).map((n) => "é".repeat(n)),
);

const ulid = fc
  .string({
    unit: fc.constantFrom(..."0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
    minLength: 26,
    maxLength: 26,
  })
  .map((s) => `0${s.slice(1)}`);

const parameter = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(name === "name" ? known.name : known.id)) },
    { weight: 2, arbitrary: ulid },
    { weight: 3, arbitrary: anyText },
  );

const spec = fc.oneof(
  { weight: 3, arbitrary: fc.constant(command("ok")) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        field: fc.constantFrom("name", "command", "resources", "labels", "timeoutMs", "priority"),
        value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyText),
      })
      .map(({ field, value }) => ({ ...command("mutated"), [field]: value })),
  },
  { weight: 1, arbitrary: fc.dictionary(anyText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
);

const body = fc.oneof(
  { weight: 8, arbitrary: spec.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: spec.map((s) => JSON.stringify({ jobs: [s, s] })) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{"role":"read"}', '{"type":"go"}', '{"input":{"a":1}}'),
  },
  { weight: 1, arbitrary: anyText },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 100_000 })
      .map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"admin":true},"name":"x","command":{"argv":["true"]}}',
      '{"name":"\\ud800","command":{"argv":["true"]}}',
      '{"name":"x","command":{"argv":["true"]},"labels":{"\\udc00":"v"}}',
      "x".repeat(70 * 1024),
      "{",
    ),
  },
);

/** Mostly absent (the usual request), sometimes one of `values`. */
const rarely = <A>(values: fc.Arbitrary<A>) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: values });

/** Built once the seed data exists (the real ids are drawn from it). */
const requests = () =>
  fc.record({
    operation: fc.nat(),
    otherMethod: rarely(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")),
    params: fc.record({ id: parameter("id"), name: parameter("name") }),
    query: fc.oneof(
      { weight: 4, arbitrary: fc.constant([]) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.tuple(fc.oneof(fc.constantFrom("limit", "state", "cursor"), anyText), anyText),
          { minLength: 1, maxLength: 3 },
        ),
      },
    ),
    useQuery: fc.boolean(),
    body: fc.option(body, { freq: 4, nil: undefined }),
    authorization: fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${adminToken}`) },
      { weight: 2, arbitrary: fc.constantFrom("read", "submit").map((r) => `Bearer ${tokens[r]}`) },
      { weight: 1, arbitrary: fc.constant(`bearer ${adminToken}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom("Bearer hodei_0123456789abcdef_00", "Basic x", "Bearer", ""),
      },
      { weight: 1, arbitrary: anyText.map((t) => `Bearer ${t}`) },
    ),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant("application/json") },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom("application/json; charset=utf-8", "text/plain") },
      { weight: 1, arbitrary: anyText },
    ),
    host: rarely(fc.constantFrom("evil.example", "localhost", "127.0.0.1:1")),
    origin: rarely(fc.constantFrom("https://evil.example", "null", "http://127.0.0.1")),
  });

type Drawn = ReturnType<typeof requests> extends fc.Arbitrary<infer R> ? R : never;

/** Sends it; resolves with the status once the head arrives (log streams never end). */
const send = (r: Drawn): Promise<number> => {
  const op = operations[r.operation % operations.length]!;
  const path = op.template.replace(/\{(\w+)\}/g, (_, p: "id" | "name") => encode(r.params[p]));
  const declared = r.useQuery ? op.query.map((k) => [k, "1"] as const) : [];
  const search = [...declared, ...r.query].map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
  const headers: Record<string, string> = {};
  const clean = (v: string) => v.replace(/[^\t\x20-\x7e]/g, "");
  if (r.authorization !== "") headers["authorization"] = clean(r.authorization);
  if (r.contentType !== undefined) headers["content-type"] = clean(r.contentType);
  if (r.host !== undefined) headers["host"] = r.host;
  if (r.origin !== undefined) headers["origin"] = r.origin;
  if (r.body !== undefined) headers["content-length"] = String(Buffer.byteLength(r.body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${h.url}${path}${search ? `?${search}` : ""}`,
      { method: r.otherMethod ?? op.method, headers },
      (res) => {
        resolve(res.statusCode!);
        res.destroy();
      },
    );
    req.on("error", reject);
    req.end(r.body);
  });
};

const settled = () => h.run(h.core.settled);

describe("the API under generated requests", () => {
  it("never answers 5xx, and a refused request changes nothing in the store", async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests(), async (r) => {
        await settled();
        const before = h.store.stats().commits;
        const status = await send(r);
        seen.set(status, (seen.get(status) ?? 0) + 1);
        expect(status).toBeLessThan(500);
        if (status >= 400) {
          await settled();
          expect(h.store.stats().commits).toBe(before);
        }
      }),
      { numRuns: 1000 },
    );
    // Not vacuous: the requests got past the door as well as being refused at it.
    const statuses = [...seen.keys()];
    for (const s of [200, 201, 400, 401, 403, 404, 415]) expect(statuses).toContain(s);
    expect((await h.json("/health")).status).toBe(200);
  });
});
