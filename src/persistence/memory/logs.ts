/** In-memory LogStore: chunks per job in arrays, numbered and capped by log-cap.ts. */
import { Effect } from "effect";
import { applyCap, emptyLogHead, type LogCap, type LogHead } from "../log-cap.ts";
import {
  appendResult,
  defaultReadLimit,
  withinBytes,
  type LogChunk,
  type LogStore,
} from "../logs.ts";

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
        log.head = capped.head;
        for (const c of capped.chunks) log.chunks.push(c);
        logs.set(jobId, log);
        return appendResult(capped);
      }),
    read: (jobId, options = {}) =>
      Effect.sync(() => {
        const log = logs.get(jobId);
        const from = options.fromSeq ?? 1;
        const all = log?.chunks ?? [];
        // Seqs grow along the array: the first one at or past `from`, by bisection.
        let lo = 0;
        for (let hi = all.length; lo < hi;) {
          const mid = (lo + hi) >>> 1;
          if (all[mid]!.seq < from) lo = mid + 1;
          else hi = mid;
        }
        const chunks = withinBytes(
          all.slice(lo, lo + (options.limit ?? defaultReadLimit)),
          options.limit ?? defaultReadLimit,
          options.maxBytes,
        );
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
