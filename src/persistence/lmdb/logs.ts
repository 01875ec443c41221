/**
 * LMDB LogStore. An append reads the job's log head and writes its chunks and the new head in
 * one write transaction, so two appends to one job cannot interleave their numbering (nor both
 * store a re-sent chunk: the second sees the first's head); appends of many jobs in one event
 * turn share the commit (lmdb-js groups them).
 */
import { Effect, Schema } from "effect";
import type { RootDatabase } from "lmdb";
import { storeError } from "../errors.ts";
import { applyCap, emptyLogHead, type LogCap, type LogHead } from "../log-cap.ts";
import { appendResult, defaultReadLimit, LogChunk, withinBytes, type LogStore } from "../logs.ts";
import type { Durable } from "./durable.ts";
import type { Databases } from "./layout.ts";

const decodeChunks = Schema.decodeUnknown(Schema.Array(LogChunk));

export const makeLmdbLogStore = (
  root: RootDatabase,
  dbs: Databases,
  durable: Durable,
  cap: LogCap,
): LogStore => {
  const decoded = (operation: string, values: unknown[]) =>
    Effect.mapError(decodeChunks(values), storeError(operation));

  return {
    append: (jobId, inputs) =>
      durable("logs.append", () =>
        root.transaction(() => {
          const head = (dbs.logHeads.get(jobId) as LogHead | undefined) ?? emptyLogHead;
          const capped = applyCap(head, inputs, cap);
          for (const chunk of capped.chunks) void dbs.logs.put([jobId, chunk.seq], chunk);
          if (capped.head !== head) void dbs.logHeads.put(jobId, capped.head);
          return appendResult(capped);
        }),
      ),
    read: (jobId, options = {}) =>
      Effect.suspend(() => {
        const from = options.fromSeq ?? 1;
        const limit = options.limit ?? defaultReadLimit;
        // Read lazily: a byte budget stops the range before the rest of the page is decoded.
        const range = dbs.logs.getRange({ start: [jobId, from], end: [jobId, "\uffff"], limit });
        const values = withinBytes(
          range.map(({ value }) => value),
          limit,
          options.maxBytes,
        );
        const head = dbs.logHeads.get(jobId) as LogHead | undefined;
        return decoded("logs.read", values).pipe(
          Effect.map((chunks) => ({
            chunks,
            nextSeq: (chunks.at(-1)?.seq ?? from - 1) + 1,
            truncated: head?.truncated ?? false,
          })),
        );
      }),
    tail: (jobId, count) =>
      Effect.suspend(() => {
        if (count <= 0) return Effect.succeed([]);
        const range = dbs.logs.getRange({
          start: [jobId, "\uffff"],
          end: [jobId, 0],
          reverse: true,
          limit: count,
        });
        const values = [...range].map(({ value }) => value);
        return decoded("logs.tail", values.reverse());
      }),
  };
};
