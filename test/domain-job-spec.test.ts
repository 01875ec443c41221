/**
 * JobSpec decoding of valid input: defaults are applied once, at decode, and a decoded spec
 * survives encode → JSON → decode unchanged (what persistence and the wire rely on).
 */
import { Either, JSONSchema, Schema } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJobSpec, defaultRetryPolicy, JobSpec, jobSpec } from "../src/domain/index.ts";

const ok = (u: unknown): JobSpec => {
  const r = decodeJobSpec(u);
  if (Either.isLeft(r)) throw new Error(`expected success, got ${r.left.message}`);
  return r.right;
};

const minimal = { name: "build", command: { argv: ["make", "all"] } };

describe("valid job specs", () => {
  it("applies every default to a minimal command job", () => {
    expect(ok(minimal)).toEqual({
      name: "build",
      command: { argv: ["make", "all"], env: {} },
      resources: { cpuMillis: 100, memoryMb: 64, gpus: 0 },
      labels: {},
      constraints: [],
      retry: defaultRetryPolicy,
      priority: 500,
      queue: "default",
    });
  });

  it("keeps a queue and a rate limit key; refuses a bad queue name and a bad limit", () => {
    const spec = ok({
      ...minimal,
      queue: "emails",
      rateLimit: { key: "api", max: 5, perMs: 1000 },
    });
    expect(spec.queue).toBe("emails");
    expect(spec.rateLimit).toEqual({ key: "api", max: 5, perMs: 1000 });
    for (const bad of [
      { queue: "a b" },
      { queue: "" },
      { queue: "-x" },
      { rateLimit: { key: "k", max: 0, perMs: 1 } },
    ]) {
      expect(Either.isLeft(decodeJobSpec({ ...minimal, ...bad }))).toBe(true);
    }
  });

  it("accepts a shell command with env and cwd", () => {
    const spec = ok({
      name: "x",
      command: { shell: "ls | wc -l", env: { A_1: "v" }, cwd: "/tmp" },
    });
    expect(spec.command).toEqual({ shell: "ls | wc -l", env: { A_1: "v" }, cwd: "/tmp" });
  });

  it("accepts a handler job, input defaulting to null", () => {
    expect(ok({ name: "x", handler: { name: "images.resize" } }).handler).toEqual({
      name: "images.resize",
      input: null,
    });
    const input = { w: 100, tags: ["a", null, true], nested: { x: 1.5 } };
    expect(ok({ name: "x", handler: { name: "h", input } }).handler?.input).toEqual(input);
  });

  it("fills partial resources and retry from the defaults", () => {
    const spec = ok({ ...minimal, resources: { memoryMb: 2048 }, retry: { maxAttempts: 3 } });
    expect(spec.resources).toEqual({ cpuMillis: 100, memoryMb: 2048, gpus: 0 });
    expect(spec.retry).toEqual({ ...defaultRetryPolicy, maxAttempts: 3 });
  });

  it("maps priority names to numbers and keeps numbers", () => {
    expect(ok({ ...minimal, priority: "low" }).priority).toBe(250);
    expect(ok({ ...minimal, priority: "critical" }).priority).toBe(1000);
    expect(ok({ ...minimal, priority: 550 }).priority).toBe(550);
  });

  it("keeps labels, constraints, timeout and keys", () => {
    const spec = ok({
      ...minimal,
      labels: { gpu: "true" },
      constraints: [
        { key: "zone", op: "in", values: ["a", "b"] },
        { key: "ssd", op: "exists" },
      ],
      timeoutMs: 60_000,
      concurrencyKey: "deploy-prod",
      idempotencyKey: "req-42",
    });
    expect(spec.labels).toEqual({ gpu: "true" });
    expect(spec.constraints).toHaveLength(2);
    expect([spec.timeoutMs, spec.concurrencyKey, spec.idempotencyKey]).toEqual([
      60_000,
      "deploy-prod",
      "req-42",
    ]);
  });
});

describe("encoding", () => {
  it("round-trips: decode(encode(spec)) equals spec, through JSON text", () => {
    const spec = ok({ ...minimal, priority: "high", labels: { a: "b" }, timeoutMs: 5 });
    const wire = JSON.parse(JSON.stringify(Schema.encodeSync(JobSpec)(spec)));
    expect(ok(wire)).toEqual(spec);
  });

  it("round-trips generated specs", () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);
    const arbitrarySpec = fc.record(
      {
        name: fc.stringMatching(/^[a-z][a-z0-9 -]{0,20}[a-z0-9]$/),
        command: fc.oneof(
          fc.record({ argv: fc.array(fc.string(), { minLength: 1, maxLength: 5 }) }),
          fc.record({ shell: fc.string({ minLength: 1 }) }),
        ),
        resources: fc.record(
          { cpuMillis: fc.nat(64_000), memoryMb: fc.nat(1 << 20), gpus: fc.nat(8) },
          { requiredKeys: [] },
        ),
        labels: fc.dictionary(label, fc.string({ maxLength: 10 }), { maxKeys: 5 }),
        priority: fc.oneof(fc.constantFrom("low", "normal", "high", "critical"), fc.nat(1000)),
        timeoutMs: fc.integer({ min: 1, max: 1_000_000 }),
      },
      { requiredKeys: ["name", "command"] },
    );
    fc.assert(
      fc.property(arbitrarySpec, (input) => {
        const spec = ok(input);
        expect(ok(Schema.encodeSync(JobSpec)(spec))).toEqual(spec);
      }),
      { numRuns: 200 },
    );
  });

  it("produces a JSON Schema for the API document", () => {
    const doc = JSONSchema.make(JobSpec) as { $defs: Record<string, unknown> };
    expect(Object.keys(doc.$defs)).toEqual(
      expect.arrayContaining(["JobSpec", "CommandSpec", "HandlerSpec", "Resources", "Priority"]),
    );
  });
});

describe("jobSpec (for literals in code)", () => {
  it("applies defaults, and throws InvalidInput on a bad literal", () => {
    expect(jobSpec({ name: "x", handler: { name: "h" } }).priority).toBe(500);
    expect(() => jobSpec({ name: "x" })).toThrow(/command: is missing/);
    let thrown: unknown;
    try {
      jobSpec({ name: "x", command: { argv: [] } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ _tag: "InvalidInput", issues: [{ path: "command.argv" }] });
  });
});
