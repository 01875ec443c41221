/**
 * Property: the JobSpec fast path (src/domain/job-spec-fast.ts) agrees with the schema.
 *
 * - Whatever `fastJobSpec` accepts, the schema accepts, with the same value: same fields, same
 *   defaults, same key order, fresh objects where the schema makes fresh ones. So the fast path
 *   never lets through something the schema refuses, nor changes what a job means.
 * - `decodeJobSpec` (fast path, then schema) answers exactly what the schema alone answers, for
 *   valid input and for invalid input, refusals word for word.
 * - The fast path is not vacuous: it takes most valid specs drawn here, and every usual shape.
 *
 * Inputs are drawn field by field, each mostly valid and sometimes not (off-by-one lengths and
 * ranges, wrong types, NaN, -0, control characters, `__proto__` and unknown keys, null
 * prototypes, symbols, arrays with holes), sometimes through a JSON round trip as an HTTP body
 * would arrive, and also as arbitrary values.
 */
import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeJobSpec,
  decodeJobSpecWithSchema,
  decodeParsedJobSpec,
} from "../src/domain/decode.ts";
import { fastJobSpec } from "../src/domain/job-spec-fast.ts";
import { Limits } from "../src/domain/primitives.ts";

/** Key order, -0, NaN and undefined included: the two values must print alike. */
const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === "number" && (Object.is(x, -0) || !Number.isFinite(x))
      ? `number:${Object.is(x, -0) ? "-0" : String(x)}`
      : x === undefined
        ? "undefined"
        : x,
  );

/** Strings of `n - 1`, `n` and `n + 1` characters: either side of a limit. */
const around = (n: number, char = "a") =>
  fc.constantFrom(n - 1, n, n + 1).map((k) => char.repeat(Math.max(0, k)));

const weird = fc.oneof(
  fc.constantFrom(undefined, null, Number.NaN, Infinity, -Infinity, -0, true, "", [], {}),
  fc.constant(new Date(0)),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.constant([undefined]),
);

/** Mostly `valid`, sometimes `invalid`, sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]) =>
  fc.oneof(
    { arbitrary: valid as fc.Arbitrary<unknown>, weight: 40 },
    ...invalid.map((arbitrary) => ({ arbitrary, weight: 1 })),
    { arbitrary: weird, weight: 1 },
  );

const intAround = (min: number, max: number) =>
  mostly(
    fc.integer({ min, max }),
    fc.constantFrom(min - 1, max + 1, min + 0.5, String(min), 2 ** 53, Number.MAX_VALUE),
  );

const text = (max: number, min = 0) =>
  mostly(
    fc.string({ minLength: min, maxLength: 12 }),
    around(max),
    around(min),
    fc.string({ unit: "binary", maxLength: 8 }),
  );

const name = mostly(
  fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,16}[a-z0-9]$/),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.constantFrom(" x", "x ", "x\ty", "x\u0085", "é-ü", "a\u00a0", "x\u2028y", "\u00a0"),
  around(Limits.nameLength),
);

const keyLike = (pattern: RegExp, max: number, ...specials: string[]) =>
  mostly(
    fc.stringMatching(pattern),
    fc.string({ unit: "binary", maxLength: 5 }),
    fc.constantFrom("__proto__", "constructor", "toString", "1", "0", "", "-a", "a-", ...specials),
    around(max),
  );

const labelKey = keyLike(
  /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,5}[A-Za-z0-9])?$/,
  Limits.labelKeyLength,
  "a/",
  "x.y",
);
const envName = keyLike(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/, Limits.nameLength, "_", "A-B", "9A");

/** Records: drawn by fast-check (sometimes with a null prototype), or just over the count limit. */
const record = (key: fc.Arbitrary<unknown>, value: fc.Arbitrary<unknown>, maxCount: number) =>
  mostly(
    fc.dictionary(key as fc.Arbitrary<string>, value, { maxKeys: 4 }),
    fc
      .constantFrom(maxCount, maxCount + 1)
      .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))),
  );

const argv = mostly(
  fc.array(text(Limits.argLength), { minLength: 1, maxLength: 4 }),
  fc.constantFrom(
    [],
    Array.from({ length: Limits.argvCount + 1 }, () => "x"),
    Array.from({ length: Limits.argvCount }, () => "x"),
    Array.from({ length: 8 }, () => "a".repeat(Limits.argLength)),
    Array.from({ length: 9 }, () => "a".repeat(Limits.argLength)),
    // A hole, which both read as undefined.
    Object.assign(new Array<string>(3), { 0: "a", 2: "b" }),
  ),
);

const withExtra = <T extends object>(arb: fc.Arbitrary<T>) =>
  mostly(
    arb,
    arb.map((o) => ({ ...o, extra: 1 })),
    arb.map((o) => Object.assign(Object.create(null) as object, o)),
    arb.map((o) => ({ ...o, [Symbol("s")]: 1 })),
    arb.map((o) => {
      const c = { ...o };
      Object.defineProperty(c, "hidden", { value: 1, enumerable: false });
      return c;
    }),
  );

const commandFields = {
  env: record(envName, text(Limits.envValueLength), Limits.envCount),
  cwd: text(Limits.pathLength, 1),
};
const command = withExtra(
  fc.oneof(
    { arbitrary: fc.record({ argv, ...commandFields }, { requiredKeys: ["argv"] }), weight: 6 },
    {
      arbitrary: fc.record(
        { shell: text(Limits.shellLength, 1), ...commandFields },
        { requiredKeys: ["shell"] },
      ),
      weight: 3,
    },
    fc.record({ argv, shell: text(Limits.shellLength), ...commandFields }, { requiredKeys: [] }),
  ),
);

const deep = (levels: number): unknown => (levels === 0 ? 1 : [deep(levels - 1)]);
const handler = withExtra(
  fc.record(
    {
      name: keyLike(/^[A-Za-z_][A-Za-z0-9_.:/-]{0,8}$/, Limits.nameLength, "a b", "1a"),
      input: mostly(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom(
          deep(Limits.jsonDepth - 1),
          deep(Limits.jsonDepth + 1),
          { a: undefined },
          { n: Number.NaN },
          [() => 1],
          new Map(),
          "a".repeat(Limits.jsonLength),
        ),
      ),
    },
    { requiredKeys: ["name"] },
  ),
);

const resources = withExtra(
  fc.record(
    {
      cpuMillis: intAround(0, 1_024_000),
      memoryMb: intAround(0, 16_777_216),
      gpus: intAround(0, 64),
    },
    { requiredKeys: [] },
  ),
);

const retry = withExtra(
  fc.record(
    {
      maxAttempts: intAround(1, 1000),
      initialDelayMs: intAround(0, 86_400_000),
      multiplier: mostly(fc.double({ min: 1, max: 100, noNaN: true }), fc.constantFrom(0.99, 101)),
      maxDelayMs: intAround(0, 86_400_000),
      jitter: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.01, 1.01)),
    },
    { requiredKeys: [] },
  ),
);

const labelValue = text(Limits.labelValueLength);
const constraint = mostly(
  fc.oneof(
    fc.record({ key: labelKey, op: fc.constantFrom("eq", "neq"), value: labelValue }),
    fc.record({
      key: labelKey,
      op: fc.constant("in"),
      values: mostly(fc.array(labelValue, { minLength: 1, maxLength: 3 }), fc.constant([])),
    }),
    fc.record({ key: labelKey, op: fc.constant("exists") }),
  ),
  fc.record(
    {
      key: labelKey,
      op: fc.constantFrom("eq", "neq", "in", "exists", "gt"),
      value: labelValue,
      values: fc.array(labelValue, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
);
const constraints = mostly(
  fc.array(constraint, { maxLength: 3 }),
  fc
    .constantFrom(Limits.constraintCount, Limits.constraintCount + 1)
    .map((n) => Array.from({ length: n }, () => ({ key: "k", op: "exists" }))),
);

const work = fc.oneof(
  { arbitrary: command.map((c) => ({ command: c })), weight: 6 },
  { arbitrary: handler.map((h) => ({ handler: h })), weight: 3 },
  { arbitrary: fc.record({ command, handler }), weight: 1 },
  { arbitrary: fc.constant({}), weight: 1 },
);

const rest = fc.record(
  {
    resources,
    labels: record(labelKey, labelValue, Limits.labelCount),
    constraints,
    timeoutMs: intAround(1, Limits.timeoutMs),
    retry,
    priority: mostly(
      fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom("low", "normal", "high")),
      fc.constantFrom("critical", "toString", "NORMAL", -1, 1001, 500.5),
    ),
    concurrencyKey: text(Limits.keyLength, 1),
    idempotencyKey: mostly(fc.string({ minLength: 1, maxLength: 8 }), around(Limits.keyLength)),
    strategy: mostly(fc.constantFrom("binpack", "spread"), fc.constant("random")),
    queue: mostly(
      fc.constantFrom("default", "emails", "a", "q.1_x-2"),
      fc.constantFrom("", "-a", "a b", "a/b", "é", "x".repeat(65)),
    ),
  },
  { requiredKeys: [] },
);

/** A delay, rarely: runAt (valid instants, and ones that are not), delayMs, or both (refused). */
const delay = fc.oneof(
  { arbitrary: fc.constant({}), weight: 6 },
  {
    arbitrary: fc.record({
      runAt: mostly(
        fc
          .date({ min: new Date(0), max: new Date(Date.UTC(2200, 0)), noInvalidDate: true })
          .map((d) => d.toISOString()),
        fc.constantFrom(
          "2026-02-30T10:00:00Z",
          "2026-12-05T10:00:00",
          "2026-12-05T24:00:00Z",
          "2026-12-05T10:00:00.1234567891Z",
          "2026-12-05T10:00:00+01:00",
          "2026-12-05t10:00:00z",
          `2026-12-05T10:00:00.${"1".repeat(30)}Z`,
        ),
      ),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ delayMs: intAround(0, 366 * 24 * 3_600_000) }), weight: 2 },
  {
    arbitrary: fc.record({ runAt: fc.constant("2026-12-05T10:00:00Z"), delayMs: fc.nat() }),
    weight: 1,
  },
);

const jobSpecLike = fc
  .tuple(
    fc.oneof({ arbitrary: fc.record({ name }), weight: 20 }, fc.constant({})),
    work,
    rest,
    fc.boolean(),
    delay,
  )
  .map(([n, w, r, viaJson, d]) => {
    const spec: unknown = { ...n, ...w, ...r, ...d };
    if (!viaJson) return spec;
    // As an HTTP body arrives: only what JSON can say, `__proto__` keys as own properties.
    try {
      return JSON.parse(JSON.stringify(spec)) as unknown;
    } catch {
      return spec;
    }
  });

const typos = jobSpecLike.chain((spec) =>
  fc
    .constantFrom("comand", "__proto__", "labels ", "Name", "retries")
    .map((k) => JSON.parse(JSON.stringify({ ...(spec as object), [k]: 1 })) as unknown),
);

/** What a decoder does with `u`: its answer, or what it threw. */
const attempt = <A>(decode: (u: unknown) => A, u: unknown): { ok: A } | { threw: string } => {
  try {
    return { ok: decode(u) };
  } catch (e) {
    return { threw: String(e) };
  }
};

/** `u` through a JSON round trip, as a store reads it back; undefined when it has none. */
const parsedOf = (u: unknown): unknown => {
  try {
    const text = JSON.stringify(u);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
};

/** Checks one input and tallies which way it went. */
const tally = { fast: 0, valid: 0, invalid: 0, threw: 0 };
const agree = (u: unknown): void => {
  // Parsed data is decoded without looking for symbol or hidden keys: the same answer.
  const parsed = parsedOf(u);
  if (parsed !== undefined) {
    expect(attempt(decodeParsedJobSpec, parsed)).toStrictEqual(attempt(decodeJobSpec, parsed));
  }
  const schema = attempt(decodeJobSpecWithSchema, u);
  const fast = fastJobSpec(u);
  const combined = attempt(decodeJobSpec, u);
  if ("threw" in schema) {
    // A defect of the schema's own error messages (see test/domain-job-spec-errors.test.ts):
    // the fast path must leave such input to the schema, which then fails the same way.
    tally.threw++;
    expect(fast).toBeUndefined();
    expect(combined).toStrictEqual(schema);
    return;
  }
  const bySchema = schema.ok;
  if (fast !== undefined) {
    tally.fast++;
    if (Either.isLeft(bySchema)) {
      throw new Error(`fast path accepted what the schema refuses: ${bySchema.left.message}`);
    }
    expect(show(fast)).toBe(show(bySchema.right));
    expect(fast).toStrictEqual(bySchema.right);
  }
  if (Either.isRight(bySchema)) tally.valid++;
  else tally.invalid++;
  if (!("ok" in combined)) throw new Error(`decodeJobSpec threw: ${combined.threw}`);
  if (Either.isRight(bySchema)) {
    expect(Either.isRight(combined.ok) && show(combined.ok.right)).toBe(show(bySchema.right));
  } else {
    expect(Either.isLeft(combined.ok) && combined.ok.left).toStrictEqual(bySchema.left);
  }
};

describe("JobSpec fast path", () => {
  it("agrees with the schema on drawn specs, valid and invalid", () => {
    tally.fast = tally.valid = tally.invalid = tally.threw = 0;
    fc.assert(fc.property(jobSpecLike, agree), { numRuns: 4000 });
    // Both sides were exercised, and the fast path took most valid specs.
    expect(tally.valid).toBeGreaterThan(400);
    expect(tally.invalid).toBeGreaterThan(400);
    expect(tally.fast).toBeGreaterThan(tally.valid * 0.9);
  });

  it("agrees with the schema on specs with an unknown or misspelt key", () => {
    fc.assert(fc.property(typos, agree), { numRuns: 500 });
  });

  it("agrees with the schema on arbitrary values", () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true }), agree), { numRuns: 1000 });
  });

  it("takes every usual shape", () => {
    const usual: unknown[] = [
      { name: "bench-1", command: { argv: ["true"] }, labels: { team: "t1" } },
      { name: "build", command: { shell: "make -j4 && make test", env: { CI: "1" }, cwd: "/src" } },
      { name: "resize", handler: { name: "images.resize", input: { w: 100, urls: ["a", "b"] } } },
      {
        name: "train model",
        command: { argv: ["python", "train.py"] },
        resources: { cpuMillis: 4000, memoryMb: 8192, gpus: 1 },
        labels: { gpu: "true" },
        constraints: [
          { key: "zone", op: "neq", value: "eu-west-1" },
          { key: "arch", op: "in", values: ["amd64", "arm64"] },
          { key: "ssd", op: "exists" },
          { key: "gpu", op: "eq", value: "true" },
        ],
        timeoutMs: 3_600_000,
        retry: { maxAttempts: 3, initialDelayMs: 500 },
        priority: "high",
        concurrencyKey: "model-a",
        idempotencyKey: "train-2024-01-01",
        strategy: "spread",
        queue: "training",
      },
    ];
    for (const u of usual) {
      expect(fastJobSpec(u)).toBeDefined();
      expect(fastJobSpec(JSON.parse(JSON.stringify(u)))).toBeDefined();
      agree(u);
    }
  });
});
