/**
 * The group commit every adapter's writes go through (src/persistence/group-commit.ts): writers
 * of one tick share a commit, writers that arrive during a commit share the next one, a batch
 * never passes its cap, and a failed commit fails exactly the writers it held. `submitNow` does
 * the same with callbacks, and a callback that throws stops neither its batch nor the next.
 */
import { describe, expect, it } from "vitest";
import { makeGroupCommit } from "../src/persistence/group-commit.ts";

/** A commit whose completion the test controls, recording every batch it was given. */
const controlled = () => {
  const batches: number[][] = [];
  const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  const commit = (requests: ReadonlyArray<number>) => {
    batches.push([...requests]);
    return new Promise<ReadonlyArray<string>>((resolve, reject) =>
      pending.push({ resolve: () => resolve(requests.map((r) => `ok ${r}`)), reject }),
    );
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { batches, pending, commit, settle };
};

describe("group commit", () => {
  it("commits the writes of one tick together, and answers each writer with its own result", async () => {
    const c = controlled();
    const group = makeGroupCommit(c.commit, 100);
    const answers = Promise.all([1, 2, 3].map((n) => group.submit(n)));
    await c.settle();
    expect(c.batches).toEqual([[1, 2, 3]]);
    c.pending[0]!.resolve();
    expect(await answers).toEqual(["ok 1", "ok 2", "ok 3"]);
    expect(group.commits()).toBe(1);
  });

  it("holds writes that arrive during a commit for the next one, and caps a batch", async () => {
    const c = controlled();
    const group = makeGroupCommit(c.commit, 2);
    const first = group.submit(1);
    await c.settle();
    const later = [2, 3, 4].map((n) => group.submit(n));
    await c.settle();
    expect(c.batches).toEqual([[1]]);
    c.pending[0]!.resolve();
    await first;
    await c.settle();
    expect(c.batches).toEqual([[1], [2, 3]]);
    c.pending[1]!.resolve();
    await c.settle();
    expect(c.batches).toEqual([[1], [2, 3], [4]]);
    c.pending[2]!.resolve();
    expect(await Promise.all(later)).toEqual(["ok 2", "ok 3", "ok 4"]);
  });

  it("fails the writers of a failed commit, and goes on with the next ones", async () => {
    const c = controlled();
    const group = makeGroupCommit(c.commit, 10);
    const doomed = [group.submit(1), group.submit(2)].map((p) => p.catch((e: Error) => e.message));
    await c.settle();
    const next = group.submit(3);
    c.pending[0]!.reject(new Error("disk full"));
    expect(await Promise.all(doomed)).toEqual(["disk full", "disk full"]);
    await c.settle();
    c.pending[1]!.resolve();
    expect(await next).toBe("ok 3");
  });

  it("tells writers by callback as by promise, and a callback that throws stops neither its batch nor the next", async () => {
    const c = controlled();
    const defects: unknown[] = [];
    const group = makeGroupCommit(c.commit, 10, (e) => defects.push(e));
    const told: string[] = [];
    const fail = (e: unknown) => told.push(`failed ${String(e)}`);
    group.submitNow(
      1,
      () => {
        throw new Error("writer 1's bug");
      },
      fail,
    );
    group.submitNow(2, (r) => told.push(r), fail);
    await c.settle();
    const next = group.submit(3);
    await c.settle();
    expect(c.batches).toEqual([[1, 2]]);
    c.pending[0]!.resolve();
    await c.settle();
    expect(told).toEqual(["ok 2"]);
    expect(defects.map((e) => (e as Error).message)).toEqual(["writer 1's bug"]);
    expect(c.batches).toEqual([[1, 2], [3]]);
    c.pending[1]!.resolve();
    expect(await next).toBe("ok 3");

    group.submitNow(4, (r) => told.push(r), fail);
    await c.settle();
    c.pending[2]!.reject("disk full");
    await c.settle();
    expect(told).toEqual(["ok 2", "failed disk full"]);
  });
});
