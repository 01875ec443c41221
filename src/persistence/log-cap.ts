/**
 * The per-job log cap and numbering, applied the same way by every adapter: given what a job's
 * log holds (its head) and a new append, which chunks to store, with which seq, and the new
 * head. An append is idempotent by seq (see `applyCap`): what a restarted supervisor receives
 * again from its agents is not stored twice.
 *
 * Every chunk's `data` is made storable first (`storableLogText`: no NUL, no lone surrogate), so
 * every adapter holds and returns the same text; agent output already is (domain/log-text.ts).
 *
 * Bytes are UTF-8 bytes of `data`; lines are its line breaks, at least one per chunk (a chunk
 * without a newline is a partial line, and it still costs a line). The marker itself is not
 * counted, so a log at its cap holds exactly the cap plus one marker chunk.
 */
import { storableLogText } from "../domain/log-text.ts";
import type { LogChunk, LogInput } from "./logs.ts";

export interface LogCap {
  readonly maxBytes: number;
  readonly maxLines: number;
}

/** What the store keeps per job beside its chunks. */
export interface LogHead {
  readonly nextSeq: number;
  readonly bytes: number;
  readonly lines: number;
  readonly truncated: boolean;
}

export const emptyLogHead: LogHead = { nextSeq: 1, bytes: 0, lines: 0, truncated: false };

const linesOf = (data: string): number => {
  let n = 0;
  for (let i = data.indexOf("\n"); i !== -1; i = data.indexOf("\n", i + 1)) n++;
  return Math.max(1, n);
};

export const truncationMessage = (cap: LogCap): string =>
  `[hodei] log truncated: this job's log reached its cap of ${cap.maxBytes} bytes or ` +
  `${cap.maxLines} lines; later output was dropped`;

export interface Capped {
  readonly chunks: ReadonlyArray<LogChunk>;
  readonly head: LogHead;
  /** Inputs dropped by the cap. */
  readonly dropped: number;
  /** Inputs dropped because the log already holds their seq (a re-send). */
  readonly duplicates: number;
}

/**
 * Numbers, de-duplicates and caps one append. An input with a `seq` below the head's `nextSeq`
 * is a duplicate and is dropped; one above it is stored under its own seq (the gap is kept as
 * is); one without a seq takes `nextSeq`. The head is returned as it was (the same object) when
 * nothing changed, so an adapter can skip writing it back.
 */
export const applyCap = (head: LogHead, inputs: ReadonlyArray<LogInput>, cap: LogCap): Capped => {
  const chunks: LogChunk[] = [];
  let { nextSeq, bytes, lines, truncated } = head;
  let dropped = 0;
  let duplicates = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const seq = input.seq ?? nextSeq;
    if (seq < nextSeq) {
      duplicates++;
      continue;
    }
    if (truncated) {
      dropped++;
      continue;
    }
    const data = storableLogText(input.data);
    const b = Buffer.byteLength(data, "utf8");
    const l = linesOf(data);
    const { at, stream, attempt } = input;
    if (bytes + b > cap.maxBytes || lines + l > cap.maxLines) {
      // The marker takes the seq of the first line dropped: a re-send of it is a duplicate.
      chunks.push({ seq, at, stream: "system", attempt, data: truncationMessage(cap) });
      nextSeq = seq + 1;
      truncated = true;
      dropped++;
      continue;
    }
    bytes += b;
    lines += l;
    chunks.push({ seq, at, stream, attempt, data });
    nextSeq = seq + 1;
  }
  const changed = chunks.length > 0;
  return {
    chunks,
    head: changed ? { nextSeq, bytes, lines, truncated } : head,
    dropped,
    duplicates,
  };
};
