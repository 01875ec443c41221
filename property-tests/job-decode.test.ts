/**
 * Property: the stored-job fast path (src/domain/job-fast.ts) agrees with the `Job` schema.
 *
 * - Whatever `fastJob` accepts, the schema accepts, with the same value, keys in the same order.
 * - It is not vacuous: it takes the usual rows drawn here (every state, results, pipeline steps).
 *
 * Rows are drawn field by field, mostly valid and sometimes corrupted (wrong types, values off
 * by one at a bound, unknown keys, malformed ids, NaN), as a damaged store would hand them over.
 */
import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeWith, jobSpec } from "../src/domain/decode.ts";
import { newJobId } from "../src/domain/ids.ts";
import { Job } from "../src/domain/job.ts";
import { fastJob } from "../src/domain/job-fast.ts";
import { jobStates } from "../src/domain/job-state.ts";
import { Limits } from "../src/domain/primitives.ts";
import { maxAttemptNumber } from "../src/domain/retry.ts";

const decodeWithSchema = decodeWith(Job);

/** Key order, NaN and undefined included: the two values must print alike. */
const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === "number" && !Number.isFinite(x)
      ? `number:${String(x)}`
      : x === undefined
        ? "undefined"
        : x,
  );

const weird = fc.constantFrom(undefined, null, Number.NaN, -1, 1.5, "", "x", [], {}, true);
const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]) =>
  fc.oneof(
    { arbitrary: valid as fc.Arbitrary<unknown>, weight: 30 },
    ...invalid.map((arbitrary) => ({ arbitrary, weight: 1 })),
    { arbitrary: weird, weight: 1 },
  );

const specs = [
  jobSpec({ name: "noop", handler: { name: "noop" } }),
  jobSpec({ name: "build", command: { argv: ["make", "-j2"] }, labels: { os: "linux" } }),
  jobSpec({ name: "later", command: { shell: "true" }, runAt: "2026-12-05T10:00:00Z" }),
  jobSpec({ name: "rated", handler: { name: "h", input: { a: [1] } }, delayMs: 5 }),
  jobSpec({
    name: "limited",
    command: { argv: ["true"] },
    rateLimit: { key: "api", max: 1, perMs: 1000 },
  }),
];

const timestamp = mostly(
  fc.integer({ min: 0, max: 2 ** 45 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -1, 1e300),
);
const attempt = mostly(
  fc.integer({ min: 0, max: maxAttemptNumber }),
  fc.constantFrom(maxAttemptNumber + 1, -1, 0.5),
);
const state = mostly(fc.constantFrom(...jobStates), fc.constantFrom("done", "QUEUED"));
const workerId = mostly(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/),
  fc.constantFrom("-w", "a b", "é", "w".repeat(129), "w".repeat(128)),
);
const ulid = mostly(
  fc.integer({ min: 0, max: 2 ** 44 }).map((t) => newJobId(t) as string),
  fc.constantFrom("01ARZ3NDEKTSV4RRFFQ69G5FA", "01arz3ndektsv4rrffq69g5fav", "U".repeat(26)),
);
const exitCode = mostly(fc.integer({ min: -255, max: 255 }), fc.constantFrom(2 ** 53, 0.5));

const transition = mostly(
  fc.record(
    { state, at: timestamp, attempt, workerId, exitCode },
    { requiredKeys: ["state", "at", "attempt"] },
  ),
  fc.constant({ state: "queued", at: 1, attempt: 0, extra: 1 }),
);

const result = mostly(
  fc.record(
    {
      exitCode,
      output: mostly(fc.jsonValue({ maxDepth: 2 }), fc.constant({ n: Number.NaN })),
      error: mostly(fc.string({ maxLength: 8 }), fc.constant("e".repeat(Limits.messageLength + 1))),
    },
    { requiredKeys: [] },
  ),
  fc.constant({ exitCode: 1, reason: "x" }),
);

const row = fc
  .record(
    {
      id: ulid,
      spec: mostly(fc.constantFrom(...specs), fc.constant({ name: "x" })),
      state,
      attempt,
      createdAt: timestamp,
      updatedAt: timestamp,
      transitions: mostly(fc.array(transition, { maxLength: 4 }), fc.constant("none")),
      workerId,
      result,
      pipelineRunId: ulid,
      pipelineStep: mostly(fc.constantFrom("build", "a step"), fc.constantFrom(" x", "\u0000")),
      extra: fc.constant(1),
    },
    {
      requiredKeys: ["id", "spec", "state", "attempt", "createdAt", "updatedAt", "transitions"],
    },
  )
  .map((r) => {
    // Most rows have no unknown key; a few do, as a corrupt store might hand them over.
    if (r.extra !== undefined && (r.attempt as number) % 7 !== 0) delete r.extra;
    return r;
  });

const tally = { fast: 0, valid: 0 };
const agree = (u: unknown): void => {
  // Parsed data (a row read back) is decoded without looking for symbol or hidden keys: the
  // same answer.
  try {
    const text = JSON.stringify(u);
    if (text !== undefined) {
      const parsed: unknown = JSON.parse(text);
      expect(fastJob(parsed, true)).toStrictEqual(fastJob(parsed));
    }
  } catch (e) {
    if (!(e instanceof TypeError)) throw e; // cannot be JSON (a BigInt, a cycle): not parsed data
  }
  const bySchema = decodeWithSchema(u);
  const fast = fastJob(u);
  if (Either.isRight(bySchema)) tally.valid++;
  if (fast === undefined) return;
  tally.fast++;
  if (Either.isLeft(bySchema)) {
    throw new Error(`fast path accepted what the schema refuses: ${bySchema.left.message}`);
  }
  expect(show(fast)).toBe(show(bySchema.right));
  expect(fast).toStrictEqual(bySchema.right);
};

describe("stored Job fast path", () => {
  it("agrees with the schema on drawn rows, valid and corrupted", () => {
    tally.fast = tally.valid = 0;
    fc.assert(fc.property(row, agree), { numRuns: 3000 });
    expect(tally.valid).toBeGreaterThan(100);
    // Only the spec with a rate limit is left to the schema among the valid ones.
    expect(tally.fast).toBeGreaterThan(tally.valid * 0.6);
  });

  it("agrees with the schema on arbitrary values", () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true }), agree), { numRuns: 500 });
  });
});
