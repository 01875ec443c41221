/**
 * A log line is text, but a command prints bytes: NUL, invalid UTF-8, anything. Every store
 * keeps a line as text (PostgreSQL's `text` refuses NUL), so the bytes are written as text in
 * one documented, reversible way, by the agent, before they leave it:
 *
 * - valid UTF-8 (other than NUL) stays as it is: ordinary output is unchanged;
 * - NUL, and each byte that is not part of valid UTF-8, is written `\xNN` (two lowercase hex
 *   digits): a NUL byte reads `\x00`, a stray 0xFF reads `\xff`;
 * - a backslash that the output itself follows with `x` and two hex digits is written `\x5c`,
 *   so that what reads `\xNN` is always an escaped byte: `printf '\\x41'` is stored `\x5cx41`.
 *
 * `logLineBytes` gives the exact bytes back. Text that is already text (a handler's `ctx.log`)
 * is escaped the same way, as its UTF-8 bytes. Whatever reaches a store by another way is made
 * storable by `storableLogText` (NUL as `\x00`, a lone UTF-16 surrogate as U+FFFD), so memory,
 * LMDB and PostgreSQL hold and return the same text.
 */
import { isUtf8 } from "node:buffer";

const hex = (b: number) => `\\x${b.toString(16).padStart(2, "0")}`;
const escapedByte = /\\x[0-9a-fA-F]{2}/;

/** Length of the valid UTF-8 sequence at `i`, or 0 if the byte there does not start one. */
const sequenceAt = (b: Uint8Array, i: number): number => {
  const c = b[i]!;
  if (c < 0x80) return c === 0 ? 0 : 1;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1] ?? 0;
    // No overlong forms (E0 80..9F), no UTF-16 surrogates (ED A0..BF).
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1] ?? 0;
    // No overlong forms (F0 80..8F), nothing past U+10FFFF (F4 90..).
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
};

/** Backslashes that read as the start of an escape get escaped themselves. */
const escapeBackslashes = (text: string): string =>
  escapedByte.test(text) ? text.replace(/\\(?=x[0-9a-fA-F]{2})/g, "\\x5c") : text;

/** One line's bytes as log text (see above). */
export const escapeLogBytes = (bytes: Uint8Array): string => {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.indexOf(0) === -1 && isUtf8(buf)) return escapeBackslashes(buf.toString("utf8"));
  let out = "";
  let run = 0; // start of the current run of valid, unescaped bytes
  for (let i = 0; i < buf.length;) {
    const n = sequenceAt(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += escapeBackslashes(buf.toString("utf8", run, i)) + hex(buf[i]!);
    i++;
    run = i;
  }
  return out + escapeBackslashes(buf.toString("utf8", run));
};

/** Text (a handler's log line) escaped as its UTF-8 bytes would be. */
export const escapeLogText = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  /[\0\ud800-\udfff]/.test(text) || escapedByte.test(text)
    ? escapeLogBytes(Buffer.from(text, "utf8"))
    : text;

/** The bytes a line of log text stands for: the inverse of `escapeLogBytes`. */
export const logLineBytes = (text: string): Buffer => {
  if (!escapedByte.test(text)) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  let from = 0;
  for (const m of text.matchAll(/\\x([0-9a-fA-F]{2})/g)) {
    parts.push(Buffer.from(text.slice(from, m.index), "utf8"), Buffer.of(parseInt(m[1]!, 16)));
    from = m.index + 4;
  }
  parts.push(Buffer.from(text.slice(from), "utf8"));
  return Buffer.concat(parts);
};

/**
 * What any store can keep and give back unchanged: NUL as `\x00`, and a lone UTF-16 surrogate
 * (which has no UTF-8 form) as U+FFFD. Agent output is already so; this is for the rest.
 */
export const storableLogText = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  /[\0\ud800-\udfff]/.test(text)
    ? text
        .replace(/\0/g, "\\x00")
        .replace(
          /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
          "\ufffd",
        )
    : text;
