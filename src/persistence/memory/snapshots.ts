/**
 * In-memory SnapshotStore, for tests and benchmarks. Records are kept serialised, as a real
 * store would keep them: encoding is part of a commit's cost, a record cannot be mutated
 * through a reference the runtime still holds, and the bytes live outside the JS heap.
 */
import { Effect } from "effect";
import type { SnapshotRecord, SnapshotStore } from "../snapshots.ts";

export interface MemorySnapshotStore extends SnapshotStore {
  readonly size: () => number;
  readonly bytes: () => number;
  /** How many batches were committed: group commit makes this far less than the writes. */
  readonly commits: () => number;
  /** Forgets the records of these addresses (retention). */
  readonly remove: (addresses: ReadonlyArray<string>) => void;
}

export const makeMemorySnapshotStore = (): MemorySnapshotStore => {
  const records = new Map<string, Buffer>();
  let bytes = 0;
  let commits = 0;
  const decode = (b: Buffer): SnapshotRecord => JSON.parse(b.toString("utf8")) as SnapshotRecord;
  return {
    saveBatch: (batch) =>
      Effect.sync(() => {
        for (const r of batch) {
          const encoded = Buffer.from(JSON.stringify(r), "utf8");
          bytes += encoded.length - (records.get(r.address)?.length ?? 0);
          records.set(r.address, encoded);
        }
        commits++;
      }),
    load: (address) =>
      Effect.sync(() => {
        const b = records.get(address);
        return b === undefined ? undefined : decode(b);
      }),
    loadActive: (kind) =>
      Effect.sync(() =>
        [...records.values()].map(decode).filter((r) => r.kind === kind && !r.done),
      ),
    size: () => records.size,
    bytes: () => bytes,
    commits: () => commits,
    remove: (addresses) => {
      for (const a of addresses) {
        bytes -= records.get(a)?.length ?? 0;
        records.delete(a);
      }
    },
  };
};
