/**
 * Any bytes a command prints survive as log text (domain/log-text.ts), and the agent's cheap
 * way through output past the cap (LineSplitter.skim) counts exactly what splitting would have.
 *
 * Invariants, on random bytes (biased towards NUL, backslashes, `x`, hex digits and broken
 * UTF-8) and random chunkings:
 * - `logLineBytes(escapeLogBytes(b))` is `b`; the text has no NUL and no lone surrogate, so
 *   every store keeps it unchanged (`storableLogText` leaves it alone);
 * - valid UTF-8 without NUL and without `\xNN` text is left exactly as it is;
 * - text escapes as its UTF-8 bytes do;
 * - `skim` sees as many lines and bytes as `push` splits, and hands over exactly the lines
 *   that start with the wanted prefix.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSplitter } from "../src/agent/lines.ts";
import {
  escapeLogBytes,
  escapeLogText,
  logLineBytes,
  storableLogText,
} from "../src/domain/log-text.ts";

const tricky = fc.constantFrom(
  0x00,
  0x5c,
  0x78,
  0x30,
  0x61,
  0x46,
  0xff,
  0xc3,
  0xa9,
  0xe2,
  0x82,
  0x0a,
);
const bytes = fc
  .array(fc.oneof(tricky, fc.integer({ min: 0, max: 255 })), { maxLength: 64 })
  .map((a) => Buffer.from(a));

describe("log text", () => {
  it("gives back the exact bytes, as text every store keeps", () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const text = escapeLogBytes(b);
        expect(logLineBytes(text).equals(b)).toBe(true);
        expect(text.includes("\0")).toBe(false);
        expect(storableLogText(text)).toBe(text);
        expect(Buffer.from(text, "utf8").toString("utf8")).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves ordinary text as it is, and escapes text as its bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const plain = s.replace(/\0/g, "").replace(/\\x[0-9a-fA-F]{2}/g, "");
        if (!plain.includes("\\x")) expect(escapeLogBytes(Buffer.from(plain))).toBe(plain);
        expect(escapeLogText(s)).toBe(escapeLogBytes(Buffer.from(s, "utf8")));
      }),
    );
  });

  it("documents its form on examples", () => {
    expect(escapeLogBytes(Buffer.from([0x61, 0x00, 0x62]))).toBe("a\\x00b");
    expect(escapeLogBytes(Buffer.from([0xff, 0x41]))).toBe("\\xffA");
    expect(escapeLogBytes(Buffer.from("\\x41 \\n C:\\path"))).toBe("\\x5cx41 \\n C:\\path");
    expect(storableLogText("a\0b\ud800")).toBe("a\\x00b\ufffd");
  });
});

describe("LineSplitter.skim", () => {
  const wanted = Buffer.from("::hodei-output ");
  const lineish = fc.oneof(
    fc.constant("::hodei-output a=1"),
    fc.constant("::hodei-out"),
    fc.constant("x::hodei-output b=2"),
    fc.string({ maxLength: 12 }),
  );
  const output = fc.array(lineish, { maxLength: 30 }).chain((lines) =>
    fc.record({
      text: fc.boolean().map((endsWithNewline) => lines.join("\n") + (endsWithNewline ? "\n" : "")),
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    }),
  );

  it("counts what push would split, and finds every wanted line, however it is chunked", () => {
    fc.assert(
      fc.property(output, fc.nat({ max: 3 }), ({ text, cuts }, pushedFirst) => {
        const all = Buffer.from(text, "utf8");
        const at = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at, all.length]
          .slice(0, -1)
          .map((from, i, starts) => all.subarray(from, [...starts, all.length][i + 1]))
          .filter((c) => c.length > 0);

        const pushed: Buffer[] = [];
        const reference = new LineSplitter((l) => pushed.push(l));
        for (const c of chunks) reference.push(c);
        reference.end();

        // The first chunks pushed (shipped), the rest skimmed (past the cap).
        const shipped: Buffer[] = [];
        const found: Buffer[] = [];
        const s = new LineSplitter((l) => shipped.push(l));
        const take = (l: Buffer) => found.push(l);
        chunks.forEach((c, i) => (i < pushedFirst ? s.push(c) : s.skim(c, wanted, take)));
        s.end(wanted, take);

        const shippedBytes = shipped.reduce((n, l) => n + l.length + 1, 0);
        expect(shipped.length + s.skimmedLines).toBe(pushed.length);
        if (chunks.length > pushedFirst) {
          expect(Math.min(shippedBytes, all.length) + s.skimmedBytes).toBe(all.length);
        }
        const expected = pushed
          .slice(shipped.length)
          .filter((l) => l.subarray(0, wanted.length).equals(wanted));
        expect(found.map(String)).toEqual(expected.map(String));
      }),
      { numRuns: 1000 },
    );
  });
});
