/**
 * Crash recovery on PostgreSQL: the same crash test as on LMDB (fixtures/crash-harness.ts),
 * in a schema of its own. Fails, never skips, when PostgreSQL is unreachable.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore } from "../src/persistence/postgres/store.ts";
import {
  dropSchema,
  pgUrl,
  requirePostgres,
  uniqueSchema,
} from "./fixtures/persistence-adapters.ts";
import { crashTest } from "./fixtures/crash-harness.ts";

const schema = uniqueSchema();
beforeAll(requirePostgres);
afterAll(() => dropSchema(schema));

it("keeps every acknowledged job through repeated SIGKILLs, and finishes each once", async () => {
  const outcome = await crashTest(`pg:${schema}`, async () => {
    const store = await Effect.runPromise(
      openPostgresStore({ connectionString: pgUrl, schema, poolSize: 2 }),
    );
    return { store, close: () => Effect.runPromise(store.close) };
  });
  expect(outcome.jobs).toBe(400);
  expect(outcome.recovered).toBeGreaterThan(0);
}, 90_000);
