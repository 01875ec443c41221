/**
 * Crash recovery on LMDB: a supervisor killed with SIGKILL at random points, several times,
 * loses no acknowledged job and finishes none twice (the harness is fixtures/crash-harness.ts).
 */
import { rmSync } from "node:fs";
import { Effect } from "effect";
import { afterEach, expect, it } from "vitest";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { tempDir } from "./fixtures/persistence-adapters.ts";
import { crashTest } from "./fixtures/crash-harness.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it("keeps every acknowledged job through repeated SIGKILLs, and finishes each once", async () => {
  const path = tempDir();
  dirs.push(path);
  const outcome = await crashTest(`lmdb:${path}`, async () => {
    const store = await Effect.runPromise(openLmdbStore({ path }));
    return { store, close: () => Effect.runPromise(store.close) };
  });
  expect(outcome.jobs).toBe(400);
  // The kills landed while jobs were in flight: some had to be recovered.
  expect(outcome.recovered).toBeGreaterThan(0);
}, 90_000);
