/**
 * The agent's small pure pieces: the line splitter (UTF-8 split across chunks, CRLF, overlong
 * lines, a last line without a newline) and the reconnect backoff (exponential window, cap,
 * full jitter, reset).
 */
import { describe, expect, it } from "vitest";
import { Backoff } from "../src/agent/backoff.ts";
import { LineSplitter } from "../src/agent/lines.ts";

const split = (chunks: Buffer[], max?: number): string[] => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l.toString("utf8")), max);
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
};

describe("LineSplitter", () => {
  it("keeps a character split across chunks whole, drops CR of CRLF, keeps empty lines", () => {
    const bytes = Buffer.from("héllo\r\n\nwörld\n");
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
    expect(split(chunks)).toEqual(["héllo", "", "wörld"]);
  });

  it("emits the last line even without a final newline", () => {
    expect(split([Buffer.from("a\nb")])).toEqual(["a", "b"]);
    expect(split([Buffer.from("")])).toEqual([]);
  });

  it("passes bytes through as they are: NUL and invalid UTF-8 included", () => {
    const lines: Buffer[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push(Buffer.from([0x61, 0x00, 0xff, 0x0a, 0xc3]));
    s.push(Buffer.from([0x0a]));
    s.end();
    expect(lines).toEqual([Buffer.from([0x61, 0x00, 0xff]), Buffer.from([0xc3])]);
  });

  it("cuts an overlong line at a character boundary, not inside one", () => {
    expect(split([Buffer.from("aé\n")], 2)).toEqual(["a", "é"]);
  });

  it("cuts a line longer than the limit rather than buffering it without bound", () => {
    expect(split([Buffer.from("abcdefg"), Buffer.from("h\nij")], 3)).toEqual([
      "abc",
      "def",
      "gh",
      "ij",
    ]);
  });
});

describe("Backoff", () => {
  it("widens the window exponentially up to the cap, drawing uniformly within it", () => {
    const top = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.999_999);
    expect(Array.from({ length: 6 }, () => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    const bottom = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect(bottom.next()).toBe(0);
  });

  it("starts again from the first window after a reset", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.5);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(50);
  });

  it("once capped (a third of the heartbeat timeout), never waits longer, nor under the first window", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 15_000 }, () => 0.999_999);
    b.capAt(1_000);
    expect(Array.from({ length: 8 }, () => b.next()).at(-1)).toBe(999);
    b.capAt(10);
    expect(b.next()).toBe(99);
  });
});
