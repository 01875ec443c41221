/**
 * Port: a job's output, as chunks numbered per job (`seq` 1, 2, 3, ... across all attempts).
 *
 * The store numbers the chunks, not the agent: a retried job's second attempt continues the
 * same sequence, so a reader following a job with `read({ fromSeq })` never sees a number twice.
 * Appends to one job are serialised by the store; appends of many jobs made at the same time
 * share commits.
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

/** A chunk as an agent ships it; the store gives it its `seq`. */
export interface LogInput {
  readonly at: number;
  readonly stream: "stdout" | "stderr";
  readonly attempt: number;
  readonly data: string;
}

export interface AppendResult {
  /** Seq of the first and last chunk stored by this call (marker included), or null for none. */
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Chunks of this call dropped by the cap. */
  readonly dropped: number;
  /** The job's log has reached its cap (now or before). */
  readonly truncated: boolean;
}

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
  /** Chunks with `seq >= fromSeq` (default 1), at most `limit` (default 1000). */
  readonly read: (
    jobId: string,
    options?: { readonly fromSeq?: number; readonly limit?: number },
  ) => Effect.Effect<LogPage, StoreError>;
  /** The last `count` chunks, oldest first. */
  readonly tail: (
    jobId: string,
    count: number,
  ) => Effect.Effect<ReadonlyArray<LogChunk>, StoreError>;
}

export const defaultReadLimit = 1000;
