/**
 * `sameData` (src/domain/spec-runs.ts) is the equality of parsed data: on random JSON values,
 * and on a value against a copy of itself with its objects' keys in another order, it agrees
 * with Node's deep strict equality, which compares objects' keys as sets.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameData } from "../src/domain/spec-runs.ts";

/** `value` again, each object's keys reversed. */
const reordered = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reordered);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reordered(v)]),
  );
};

describe("sameData", () => {
  it("agrees with deep strict equality on parsed JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.boolean(), (a, other, same) => {
        // Half the pairs equal (reordered), so both answers are tested.
        const parsed = JSON.parse(JSON.stringify(a)) as unknown;
        const b = same ? reordered(parsed) : (JSON.parse(JSON.stringify(other)) as unknown);
        expect(sameData(parsed, b)).toBe(isDeepStrictEqual(parsed, b));
      }),
      { numRuns: 2000 },
    );
  });
});
