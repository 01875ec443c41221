import { describe, expect, it } from "vitest";
import { jobSpec } from "../src/domain/decode.ts";
import type { JobSpec } from "../src/domain/job-spec.ts";
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

  it("gives a part its one shared copy whatever came just before it", () => {
    // The last part interned is matched field by field first: a run of equal specs, then
    // another value, then the first again, must still land on one copy per value.
    const spec = (cpuMillis: number, labels: Record<string, string>, jitter: number) =>
      internSpec(
        jobSpec({
          name: "r",
          command: { argv: ["true"] },
          resources: { cpuMillis, memoryMb: 64 },
          labels,
          retry: { jitter },
        }),
      );
    const [a1, a2] = [spec(7, {}, 0.1), spec(7, {}, 0.1)];
    const b = spec(9, { os: "linux" }, 0.3);
    const a3 = spec(7, {}, 0.1);
    for (const part of ["resources", "labels", "constraints", "retry"] as const) {
      expect(a2[part]).toBe(a1[part]);
      expect(a3[part]).toBe(a1[part]);
    }
    expect(b.resources).not.toBe(a1.resources);
    expect(b.labels).not.toBe(a1.labels);
    expect(b.retry).not.toBe(a1.retry);
    expect([a3.resources.cpuMillis, b.resources.cpuMillis, b.labels, b.retry.jitter]).toEqual([
      7,
      9,
      { os: "linux" },
      0.3,
    ]);
    expect(spec(9, { os: "linux" }, 0.3).labels).toBe(b.labels);
  });

  it("freezes shared constraints through: the scheduler keys on them by identity", () => {
    const constraints: JobSpec["constraints"] = [
      { key: "zone", op: "in", values: ["a", "b"] },
      { key: "os", op: "eq", value: "linux" },
    ];
    const x = internSpec(jobSpec({ name: "x", command: { argv: ["true"] }, constraints }));
    const y = internSpec(jobSpec({ name: "y", command: { argv: ["true"] }, constraints }));
    expect(x.constraints).toBe(y.constraints);
    expect(x.constraints).toStrictEqual(constraints);
    expect(Object.isFrozen(x.constraints)).toBe(true);
    for (const c of x.constraints) expect(Object.isFrozen(c)).toBe(true);
    const zone = x.constraints[0];
    expect(zone !== undefined && "values" in zone && Object.isFrozen(zone.values)).toBe(true);
  });

  it("shares one frozen copy of a handler called without input", () => {
    const [a, b] = ["a", "b"].map((name) => jobSpec({ name, handler: { name: "tick" } }));
    const [x, y] = [internSpec(a!), internSpec(b!)];
    expect(x).toStrictEqual(a);
    expect(x.handler).toBe(y.handler);
    expect(x.handler).toEqual({ name: "tick", input: null });
    expect(Object.isFrozen(x.handler)).toBe(true);
    const other = internSpec(jobSpec({ name: "c", handler: { name: "tock" } }));
    expect(other.handler).not.toBe(x.handler);
    // With optional fields too (the spread path).
    const timed = internSpec(jobSpec({ name: "d", handler: { name: "tick" }, timeoutMs: 10 }));
    expect(timed.handler).toBe(x.handler);
  });

  it("shares one frozen copy of a command that many specs run", () => {
    const run = { argv: ["make", "test"], env: { CI: "1" } };
    const [a, b] = ["a", "b"].map((name) => jobSpec({ name, command: structuredClone(run) }));
    const [x, y] = [internSpec(a!), internSpec(b!)];
    expect(x).toStrictEqual(a);
    expect(Object.keys(x)).toEqual(Object.keys(a!));
    expect(x.command).toBe(y.command);
    expect(Object.isFrozen(x.command)).toBe(true);
    expect(Object.isFrozen(x.command!.argv)).toBe(true);
    expect(Object.isFrozen(x.command!.env)).toBe(true);
    const other = internSpec(jobSpec({ name: "c", command: { argv: ["make", "lint"] } }));
    expect(other.command).not.toBe(x.command);
    expect(other.command!.argv).toEqual(["make", "lint"]);
    // A handler job has no command, and gains none.
    expect("command" in internSpec(jobSpec({ name: "h", handler: { name: "h", input: 1 } }))).toBe(
      false,
    );
  });

  it("gives a run of equal specs one frozen spec; one field apart is a spec of its own", () => {
    const base = { name: "n", handler: { name: "tick" }, priority: 5, queue: "q" };
    const [a, b] = [internSpec(jobSpec(base)), internSpec(jobSpec(base))];
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toStrictEqual(jobSpec(base));
    const apart: ReadonlyArray<Parameters<typeof jobSpec>[0]> = [
      { ...base, name: "m" },
      { ...base, handler: { name: "tock" } },
      { ...base, priority: 6 },
      { ...base, queue: "r" },
      { ...base, resources: { cpuMillis: 7 } },
      { ...base, labels: { os: "linux" } },
      { ...base, constraints: [{ key: "zone", op: "exists" }] },
      { ...base, retry: { maxAttempts: 2 } },
      { name: "n", command: { argv: ["true"] }, priority: 5, queue: "q" },
    ];
    for (const changed of apart) {
      const before = internSpec(jobSpec(base));
      const other = internSpec(jobSpec(changed));
      expect(other).not.toBe(before);
      expect(other).toStrictEqual(jobSpec(changed));
    }
    // A handler's own input is never shared: each such spec is its own, and stays unfrozen.
    const withInput = { name: "n", handler: { name: "h", input: { id: 1 } } };
    const [x, y] = [internSpec(jobSpec(withInput)), internSpec(jobSpec(withInput))];
    expect(y).not.toBe(x);
    expect(Object.isFrozen(x)).toBe(false);
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

  it("keeps a spec with optional fields whole, its keys in their order, its parts shared", () => {
    const fields = { timeoutMs: 5000, concurrencyKey: "k", queue: "q", delayMs: 10 };
    const a = jobSpec({ name: "a", command: { argv: ["true"] }, ...fields });
    const x = internSpec(a);
    expect(x).toStrictEqual(a);
    expect(Object.keys(x)).toEqual(Object.keys(a));
    const usual = internSpec(jobSpec({ name: "b", command: { argv: ["true"] } }));
    expect(Object.keys(usual)).toHaveLength(8);
    expect(x.command).toBe(usual.command);
    expect(x.retry).toBe(usual.retry);
  });

  it("keeps the job's and queue's names, and where their keys are, in both ways of keeping", () => {
    // Strings made at run time, as a store's decoder makes them (their sharing is measured by
    // the backlog bench: a string's identity cannot be seen from here).
    const fresh = (text: string) => Buffer.from(text).toString();
    const b = jobSpec({ name: fresh("nightly"), command: { argv: ["true"] }, queue: fresh("q") });
    const timed = { ...b, timeoutMs: 5 };
    for (const spec of [b, timed]) {
      const kept = internSpec(spec);
      expect(kept).toStrictEqual(spec);
      expect(Object.keys(kept)).toEqual(Object.keys(spec));
    }
  });
});
