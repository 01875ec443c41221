/** In-memory LogStore: chunks per job in arrays, the cap applied by log-cap.ts. */
import { Effect } from "effect";
import { applyCap, emptyLogHead, type LogCap, type LogHead } from "../log-cap.ts";
import { defaultReadLimit, type LogChunk, type LogStore } from "../logs.ts";

export interface MemoryLogStore extends LogStore {
  readonly purge: (jobIds: ReadonlyArray<string>) => void;
}

export const makeMemoryLogStore = (cap: LogCap): MemoryLogStore => {
  const logs = new Map<string, { head: LogHead; chunks: LogChunk[] }>();
  return {
    append: (jobId, inputs) =>
      Effect.sync(() => {
        const log = logs.get(jobId) ?? { head: emptyLogHead, chunks: [] };
        const capped = applyCap(log.head, inputs, cap);
        logs.set(jobId, { head: capped.head, chunks: [...log.chunks, ...capped.chunks] });
        return {
          firstSeq: capped.chunks[0]?.seq ?? null,
          lastSeq: capped.chunks.at(-1)?.seq ?? null,
          dropped: capped.dropped,
          truncated: capped.head.truncated,
        };
      }),
    read: (jobId, options = {}) =>
      Effect.sync(() => {
        const log = logs.get(jobId);
        const from = options.fromSeq ?? 1;
        const chunks = (log?.chunks ?? [])
          .filter((c) => c.seq >= from)
          .slice(0, options.limit ?? defaultReadLimit);
        return {
          chunks,
          nextSeq: (chunks.at(-1)?.seq ?? from - 1) + 1,
          truncated: log?.head.truncated ?? false,
        };
      }),
    tail: (jobId, count) =>
      Effect.sync(() => (count <= 0 ? [] : (logs.get(jobId)?.chunks ?? []).slice(-count))),
    purge: (jobIds) => {
      for (const id of jobIds) logs.delete(id);
    },
  };
};
