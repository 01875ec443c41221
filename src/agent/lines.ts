/**
 * Cuts a child's output into lines as it arrives, as bytes, without ever losing the end.
 *
 * Lines are cut at `\n` on the bytes, so nothing is decoded, mangled or dropped here (what a
 * line's bytes become as text is domain/log-text.ts's business); a trailing `\r` is dropped
 * (CRLF output). A line longer than `maxLineLength` bytes is cut into pieces rather than
 * buffered without bound, at a UTF-8 character boundary where there is one near. `end()`
 * emits what is left after the last newline: the final line of a process that does not end
 * its output with `\n`.
 *
 * `skim` is the cheap way through output nobody will ship (past the log cap): it only counts
 * bytes and lines, and hands over the lines that start with `wanted` (`::hodei-output `, whose
 * values a job publishes even past the cap), found with `indexOf` rather than line by line.
 * So a job printing far past the cap is read about as fast as it prints.
 */
export const defaultMaxLineLength = 65_536;

const newline = 0x0a;

export class LineSplitter {
  private partial: Buffer[] = [];
  private partialLength = 0;
  /** Skimming: the next byte begins a line (a line nobody wants may be in progress). */
  private lineStart = true;
  private skimming = false;
  /** What `skim` went through: bytes, and lines (a last line without `\n` included at `end`). */
  skimmedBytes = 0;
  skimmedLines = 0;

  constructor(
    private readonly emit: (line: Buffer) => void,
    private readonly maxLineLength = defaultMaxLineLength,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(newline); nl !== -1; nl = chunk.indexOf(newline, start)) {
      this.line(this.takePartial(chunk.subarray(start, nl)));
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** The last line (no final newline), pushed or skimmed. */
  end(wanted?: Buffer, onWanted?: (line: Buffer) => void): void {
    if (!this.skimming) {
      if (this.partialLength > 0) this.line(this.takePartial(undefined));
      return;
    }
    const last = this.takePartial(undefined);
    if (last.length > 0 && wanted !== undefined && startsWith(last, wanted)) onWanted?.(last);
    if (last.length > 0 || !this.lineStart) this.skimmedLines++;
    this.lineStart = true;
  }

  /** Counts `chunk` instead of splitting it; `wanted` lines still go to `onWanted`. */
  skim(chunk: Buffer, wanted: Buffer, onWanted: (line: Buffer) => void): void {
    if (!this.skimming) {
      // A line left in progress by `push` is not shipped either.
      this.skimming = true;
      this.skimmedBytes += this.partialLength;
      if (this.partialLength > 0 && !mayStart(Buffer.concat(this.partial), wanted)) {
        this.takePartial(undefined);
        this.lineStart = false;
      }
    }
    this.skimmedBytes += chunk.length;
    this.skimmedLines += countNewlines(chunk);
    let from = 0;
    if (this.partialLength > 0 || !this.lineStart) {
      const nl = chunk.indexOf(newline);
      const head = chunk.subarray(0, nl === -1 ? chunk.length : nl);
      if (this.partialLength > 0) {
        const line = this.takePartial(head);
        if (nl === -1) return this.maybeWanted(line, wanted);
        if (startsWith(line, wanted)) onWanted(trimCr(line));
      } else if (nl === -1) return;
      from = nl + 1;
      this.lineStart = true;
    }
    for (let at = chunk.indexOf(wanted, from); at !== -1; at = chunk.indexOf(wanted, at + 1)) {
      if (at !== from && chunk[at - 1] !== newline) continue;
      const nl = chunk.indexOf(newline, at);
      if (nl === -1) return this.maybeWanted(chunk.subarray(at), wanted);
      onWanted(trimCr(chunk.subarray(at, nl)));
    }
    const tail = chunk.subarray(Math.max(from, chunk.lastIndexOf(newline) + 1));
    if (tail.length === 0) this.lineStart = true;
    else this.maybeWanted(tail, wanted);
  }

  /** A line in progress while skimming: kept if it may turn out wanted, else only passed over. */
  private maybeWanted(line: Buffer, wanted: Buffer): void {
    this.lineStart = false;
    if (line.length <= this.maxLineLength && mayStart(line, wanted)) {
      this.partial = [Buffer.from(line)];
      this.partialLength = line.length;
    }
  }

  private keep(bytes: Buffer): void {
    this.partial.push(Buffer.from(bytes)); // a copy: the chunk's memory may be reused
    this.partialLength += bytes.length;
    if (this.partialLength <= this.maxLineLength) return;
    const all = this.takePartial(undefined);
    const cut = boundary(all, this.maxLineLength);
    this.emit(all.subarray(0, cut));
    if (cut < all.length) this.keep(all.subarray(cut));
  }

  private takePartial(bytes: Buffer | undefined): Buffer {
    if (this.partial.length === 0) return bytes ?? Buffer.alloc(0);
    const all = Buffer.concat(bytes === undefined ? this.partial : [...this.partial, bytes]);
    this.partial = [];
    this.partialLength = 0;
    return all;
  }

  private line(bytes: Buffer): void {
    const line = trimCr(bytes);
    if (line.length <= this.maxLineLength) return this.emit(line);
    for (let i = 0; i < line.length;) {
      const rest = line.subarray(i);
      const cut =
        rest.length <= this.maxLineLength ? rest.length : boundary(rest, this.maxLineLength);
      this.emit(rest.subarray(0, cut));
      i += cut;
    }
  }
}

const trimCr = (b: Buffer): Buffer =>
  b.length > 0 && b[b.length - 1] === 0x0d ? b.subarray(0, -1) : b;

const startsWith = (b: Buffer, prefix: Buffer): boolean =>
  b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);

/** `b` is a prefix of `wanted`, or starts with it. */
const mayStart = (b: Buffer, wanted: Buffer): boolean => {
  const n = Math.min(b.length, wanted.length);
  return b.subarray(0, n).equals(wanted.subarray(0, n));
};

/** Where to cut `b` at most `max` bytes in: not inside a UTF-8 character if it can help it. */
const boundary = (b: Buffer, max: number): number => {
  for (let cut = max; cut > max - 4 && cut > 0; cut--) {
    if ((b[cut]! & 0xc0) !== 0x80) return cut;
  }
  return max;
};

/** A plain loop: per byte, not per line, so a flood of tiny lines costs no more than big ones. */
const countNewlines = (b: Buffer): number => {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === newline) n++;
  return n;
};
