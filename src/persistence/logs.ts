/**
 * Port: a job's output, as chunks numbered per job (`seq` growing across all attempts).
 *
 * The store numbers the chunks that come without a seq (1, 2, 3, ...); chunks that come with
 * one keep it, and one whose seq the log already passed is a duplicate, dropped (see
 * `LogInput`). Either way a retried job's second attempt continues above the first, so a reader
 * following a job with `read({ fromSeq })` never sees a number twice. Appends to one job are
 * serialised by the store; appends of many jobs made at the same time share commits.
 *
 * Bounded growth: each job may keep at most `maxBytes` bytes and `maxLines` lines (LogCap).
 * The first chunk that would pass either is dropped with everything after it, and one chunk of
 * stream "system" says so (the truncation marker), so a reader sees where and why the output
 * stops. Finished jobs' logs go with the job when retention purges it (Store.purgeFinished).
 */
import { Schema, type Effect } from "effect";
import { boundedInt, literals, Timestamp } from "../domain/primitives.ts";
import type { StoreError } from "./errors.ts";

export const LogStream = literals("stdout", "stderr", "system");
export type LogStream = typeof LogStream.Type;

export const LogChunk = Schema.Struct({
  seq: boundedInt(1, Number.MAX_SAFE_INTEGER),
  at: Timestamp,
  stream: LogStream,
  attempt: boundedInt(0, 1000),
  data: Schema.String,
}).annotations({ identifier: "LogChunk", description: "a piece of a job's output" });
export type LogChunk = typeof LogChunk.Type;

/**
 * A chunk as an agent ships it. Without `seq`, the store gives it the job's next seq. With one
 * (in the job's numbering: `jobLogSeq`), the append is idempotent: a chunk whose seq is below
 * the job's next seq is already stored and is dropped, so chunks sent again (an agent re-sends
 * what was not acknowledged, after a supervisor restart say) are not stored twice; a seq past
 * the next one is stored as it is, and the gap stays.
 */
export interface LogInput {
  readonly seq?: number;
  readonly at: number;
  readonly stream: "stdout" | "stderr";
  readonly attempt: number;
  readonly data: string;
}

/**
 * A line's seq in its job's log, from its attempt and its number within the attempt (what the
 * agent sends, from 1 without gaps): attempt 1's lines keep their numbers, and each later
 * attempt starts on its own range of 2^32, so a job's seqs grow across attempts and every line
 * of every attempt has one seq of its own, whatever the supervisor remembers.
 */
export const jobLogSeq = (attempt: number, lineSeq: number): number =>
  (Math.max(1, attempt) - 1) * 2 ** 32 + lineSeq;

export interface AppendResult {
  /** Seq of the first and last chunk stored by this call (marker included), or null for none. */
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Chunks of this call dropped by the cap. */
  readonly dropped: number;
  /** Chunks of this call dropped because the log already held their seq. */
  readonly duplicates: number;
  /** The job's log has reached its cap (now or before). */
  readonly truncated: boolean;
  /** What this call stored, in order, with their seqs (what followers are told). */
  readonly chunks: ReadonlyArray<LogChunk>;
}

/** An append's result from its capped chunks: the same in every adapter. */
export const appendResult = (capped: {
  readonly chunks: ReadonlyArray<LogChunk>;
  readonly head: { readonly truncated: boolean };
  readonly dropped: number;
  readonly duplicates: number;
}): AppendResult => ({
  firstSeq: capped.chunks[0]?.seq ?? null,
  lastSeq: capped.chunks.at(-1)?.seq ?? null,
  dropped: capped.dropped,
  duplicates: capped.duplicates,
  truncated: capped.head.truncated,
  chunks: capped.chunks,
});

export interface LogPage {
  readonly chunks: ReadonlyArray<LogChunk>;
  /** The `fromSeq` to read next: the seq after the last chunk returned. */
  readonly nextSeq: number;
  readonly truncated: boolean;
}

export interface LogStore {
  readonly append: (
    jobId: string,
    chunks: ReadonlyArray<LogInput>,
  ) => Effect.Effect<AppendResult, StoreError>;
  /**
   * Chunks with `seq >= fromSeq` (default 1), at most `limit` (default 1000), and ending with
   * the chunk whose `data` brings the page to `maxBytes` (UTF-8; unbounded by default): a reader
   * that pages through a big log with a byte budget holds one bounded page at a time, however
   * long the lines. A page always holds one chunk at least, if there is one.
   */
  readonly read: (jobId: string, options?: LogReadOptions) => Effect.Effect<LogPage, StoreError>;
  /** The last `count` chunks, oldest first. */
  readonly tail: (
    jobId: string,
    count: number,
  ) => Effect.Effect<ReadonlyArray<LogChunk>, StoreError>;
}

export interface LogReadOptions {
  readonly fromSeq?: number;
  readonly limit?: number;
  readonly maxBytes?: number;
}

export const defaultReadLimit = 1000;

/** The chunks of `from` up to and including the one that reaches `maxBytes`. */
export const withinBytes = <C>(from: Iterable<C>, limit: number, maxBytes = Infinity): C[] => {
  const page: C[] = [];
  let bytes = 0;
  for (const c of from) {
    if (page.length >= limit || bytes >= maxBytes) break;
    page.push(c);
    const data = (c as { readonly data?: unknown }).data; // checked when decoded
    bytes += typeof data === "string" ? Buffer.byteLength(data) : 0;
  }
  return page;
};
