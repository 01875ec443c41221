/**
 * The run-record writer: records of running runs are written a little later, coalesced; a run
 * that ended is written at once; `settled` writes whatever waits.
 */
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import type { PipelineRun } from "../src/persistence/pipelines.ts";
import { makeRunWriter } from "../src/supervisor/run-writer.ts";

/** A writer over runs kept in a map, recording every write and waking whoever waits for one. */
const harness = (laterMs: number, onWrite: (id: string) => void = () => {}) => {
  const runs = new Map<string, PipelineRun>();
  const written: Array<[string, string]> = [];
  let wake = () => {};
  const writer = makeRunWriter(
    (id) => Effect.sync(() => runs.get(id)),
    (run) =>
      Effect.sync(() => {
        written.push([run.id, run.state]);
        onWrite(run.id);
        wake();
      }),
    laterMs,
  );
  const nextWrite = () => new Promise<void>((resolve) => (wake = resolve));
  const set = (id: string, state: PipelineRun["state"]) =>
    runs.set(id, { id, state } as unknown as PipelineRun);
  return { writer, written, nextWrite, set };
};

/** A few turns of the event loop: long enough for anything written "at once". */
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

describe("run writer", () => {
  it("writes a running run's changes later, once for many", async () => {
    const h = harness(1);
    h.set("r1", "running");
    const wrote = h.nextWrite();
    for (let i = 0; i < 10; i++) h.writer.dirty("r1", false);
    expect(h.written).toEqual([]);
    await wrote;
    await Effect.runPromise(h.writer.settled);
    expect(h.written).toEqual([["r1", "running"]]);
  });

  it("writes a run that ended at once, even with its earlier change waiting", async () => {
    const h = harness(60_000);
    h.set("r1", "running");
    h.writer.dirty("r1", false);
    await turns();
    expect(h.written).toEqual([]);
    h.set("r1", "succeeded");
    h.writer.dirty("r1", true);
    await turns();
    expect(h.written).toEqual([["r1", "succeeded"]]);
    // Nothing of it is left waiting: settling writes nothing more.
    await Effect.runPromise(h.writer.settled);
    expect(h.written).toEqual([["r1", "succeeded"]]);
  });

  it("writes what waits when asked to settle", async () => {
    const h = harness(60_000);
    h.set("r1", "running");
    h.set("r2", "running");
    h.writer.dirty("r1", false);
    h.writer.dirty("r2", false);
    await turns();
    expect(h.written).toEqual([]);
    await Effect.runPromise(h.writer.settled);
    expect(h.written.map(([id]) => id).sort()).toEqual(["r1", "r2"]);
  });

  it("settling also writes a run that changed while it settled", async () => {
    let writer: ReturnType<typeof makeRunWriter> | undefined;
    const h = harness(60_000, (id) => {
      if (id === "r1") writer?.dirty("r2", false);
    });
    writer = h.writer;
    h.set("r1", "running");
    h.set("r2", "running");
    h.writer.dirty("r1", false);
    await Effect.runPromise(h.writer.settled);
    expect(h.written.map(([id]) => id)).toEqual(["r1", "r2"]);
  });
});
