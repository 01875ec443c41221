/**
 * Property: the runtime's timer heap (`Deadlines`) behaves as the plain model "each address has
 * at most one deadline; popping at `now` takes every armed one at or before `now`, earliest
 * first" — whatever mix of arming, re-arming, clearing and popping, and through the rebuilds
 * that drop stale entries.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Deadlines } from "../src/runtime/deadlines.ts";

type Op =
  | { readonly kind: "arm"; readonly address: string; readonly at: number }
  | { readonly kind: "clear"; readonly address: string }
  | { readonly kind: "pop"; readonly now: number };

const address = fc.integer({ min: 0, max: 60 }).map((i) => `job/${i}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("arm" as const),
      address,
      at: fc.integer({ min: 0, max: 500 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const), address }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("pop" as const),
      now: fc.integer({ min: 0, max: 500 }),
    }),
  },
);

describe("Deadlines", () => {
  it("pops what the model holds due, earliest first, each armed deadline once", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const d = new Deadlines();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === "arm") {
            d.arm(o.address, o.at);
            model.set(o.address, o.at);
          } else if (o.kind === "clear") {
            d.arm(o.address, null);
            model.delete(o.address);
          } else {
            const popped = d.popDue(o.now);
            const expected = [...model]
              .filter(([, at]) => at <= o.now)
              .map(([a, at]) => ({ address: a, at }));
            expect(popped.map((p) => p.at)).toEqual(
              [...popped.map((p) => p.at)].sort((x, y) => x - y),
            );
            expect(new Set(popped.map((p) => `${p.address}@${p.at}`))).toEqual(
              new Set(expected.map((p) => `${p.address}@${p.at}`)),
            );
            expect(popped.length).toBe(expected.length);
            for (const p of popped) model.delete(p.address);
          }
          expect(d.armedCount).toBe(model.size);
          const earliest = Math.min(...model.values());
          // The heap's top may be a stale entry (lazy deletion), never later than the earliest.
          if (model.size > 0) expect(d.peek()).toBeLessThanOrEqual(earliest);
        }
      }),
      { numRuns: 200 },
    );
  });
});
