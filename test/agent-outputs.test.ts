/** The command output protocol (`::hodei-output name=value` lines) and its limits. */
import { describe, expect, it } from "vitest";
import { OutputCollector } from "../src/agent/outputs.ts";

describe("command outputs", () => {
  it("collects ::hodei-output lines, the last value of a name winning", () => {
    const c = new OutputCollector();
    for (const line of [
      "building",
      "::hodei-output artifact=dist/a.tgz",
      "::hodei-output version=1.2.3",
      "::hodei-output artifact=dist/b.tgz",
      "::hodei-output empty=",
      "::hodei-output with-equals=a=b",
    ])
      expect(c.see(line)).toBeUndefined();
    expect(c.result()).toEqual({
      artifact: "dist/b.tgz",
      version: "1.2.3",
      empty: "",
      "with-equals": "a=b",
    });
  });

  it("ignores lines that only look like the protocol", () => {
    const c = new OutputCollector();
    for (const line of [
      " ::hodei-output a=b",
      "::hodei-output =b",
      "::hodei-output 1a=b",
      "::hodei-output a b=c",
      "::hodei-output a",
      "::hodei-outputs a=b",
    ])
      c.see(line);
    expect(c.result()).toBeUndefined();
  });

  it("drops outputs past 64 names or 64 KiB, and says so once", () => {
    const c = new OutputCollector();
    for (let i = 0; i < 64; i++) expect(c.see(`::hodei-output o${i}=${i}`)).toBeUndefined();
    expect(c.see("::hodei-output one_more=x")).toMatch(/dropped/);
    expect(c.see("::hodei-output another=x")).toBeUndefined();
    expect(c.see("::hodei-output o1=replaced")).toBeUndefined();
    expect(Object.keys(c.result()!)).toHaveLength(64);
    expect(c.result()!["o1"]).toBe("replaced");
    const big = new OutputCollector();
    expect(big.see(`::hodei-output a=${"x".repeat(64 * 1024)}`)).toBeUndefined();
    expect(big.see("::hodei-output b=y")).toMatch(/dropped/);
    expect(big.result()).toEqual({ a: "x".repeat(64 * 1024) });
  });
});
