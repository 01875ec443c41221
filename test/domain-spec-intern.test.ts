import { describe, expect, it } from "vitest";
import { jobSpec } from "../src/domain/decode.ts";
import { internSpec } from "../src/domain/spec-intern.ts";

describe("internSpec", () => {
  it("gives equal specs one shared copy of their common parts, and changes no value", () => {
    const a = jobSpec({ name: "a", handler: { name: "h", input: 1 }, labels: { os: "linux" } });
    const b = jobSpec({ name: "b", handler: { name: "h", input: 2 }, labels: { os: "linux" } });
    expect(a.resources).not.toBe(b.resources);
    const [x, y] = [internSpec(a), internSpec(b)];
    expect(x).toStrictEqual(a);
    expect(y).toStrictEqual(b);
    expect(Object.keys(x)).toEqual(Object.keys(a));
    for (const part of ["resources", "labels", "constraints", "retry"] as const) {
      expect(x[part]).toBe(y[part]);
      expect(Object.isFrozen(x[part])).toBe(true);
    }
    // What differs stays apart.
    expect(x.handler).not.toBe(y.handler);
  });

  it("keeps parts with different values apart", () => {
    const a = internSpec(jobSpec({ name: "a", command: { argv: ["true"] }, labels: { k: "1" } }));
    const b = internSpec(jobSpec({ name: "b", command: { argv: ["true"] }, labels: { k: "2" } }));
    const c = internSpec(
      jobSpec({ name: "c", command: { argv: ["true"] }, resources: { cpuMillis: 7 } }),
    );
    expect(a.labels).not.toBe(b.labels);
    expect(b.labels).toEqual({ k: "2" });
    expect(c.resources).not.toBe(a.resources);
    expect(c.resources.cpuMillis).toBe(7);
  });
});
