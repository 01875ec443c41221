/**
 * The per-job log cap, applied the same way by every adapter: given what a job's log holds
 * (its head) and a new append, which chunks to store, with which seq, and the new head.
 *
 * Bytes are UTF-8 bytes of `data`; lines are its line breaks, at least one per chunk (a chunk
 * without a newline is a partial line, and it still costs a line). The marker itself is not
 * counted, so a log at its cap holds exactly the cap plus one marker chunk.
 */
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
  readonly dropped: number;
}

export const applyCap = (head: LogHead, inputs: ReadonlyArray<LogInput>, cap: LogCap): Capped => {
  if (head.truncated) return { chunks: [], head, dropped: inputs.length };
  const chunks: LogChunk[] = [];
  let { nextSeq, bytes, lines } = head;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const b = Buffer.byteLength(input.data, "utf8");
    const l = linesOf(input.data);
    if (bytes + b > cap.maxBytes || lines + l > cap.maxLines) {
      chunks.push({
        seq: nextSeq++,
        at: input.at,
        stream: "system",
        attempt: input.attempt,
        data: truncationMessage(cap),
      });
      return {
        chunks,
        head: { nextSeq, bytes, lines, truncated: true },
        dropped: inputs.length - i,
      };
    }
    bytes += b;
    lines += l;
    chunks.push({ seq: nextSeq++, ...input });
  }
  return { chunks, head: { nextSeq, bytes, lines, truncated: false }, dropped: 0 };
};
