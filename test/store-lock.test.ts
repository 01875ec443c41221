/**
 * One supervisor per store. A second `hodei serve` on the same LMDB directory or PostgreSQL
 * schema exits 2 naming the holder (pid, host, since) and changes nothing; once the holder is
 * SIGKILLed the next one starts (the kernel / the server released the lock with the process).
 * On PostgreSQL, losing the lock's connection makes the store fail until the lock is taken
 * again; if another supervisor took it meanwhile, the store is fatally lost.
 */
import { readdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { Effect } from "effect";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { lockClass, schemaLockKey } from "../src/persistence/postgres/lock.ts";
import { openPostgresStore } from "../src/persistence/postgres/store.ts";
import type { Store } from "../src/persistence/index.ts";
import {
  dropSchema,
  pgUrl,
  requirePostgres,
  tempDir,
  uniqueSchema,
} from "./fixtures/persistence-adapters.ts";
import { makeJob } from "./fixtures/persistence-records.ts";
import { serveProcess, type ServeProcess } from "./fixtures/serve-process.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const serve = (args: string[]): ServeProcess => {
  const s = serveProcess(args);
  cleanups.push(() => void s.kill());
  return s;
};

const until = async (what: string, test: () => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const secondIsRefused = async (args: string[], holder: ServeProcess) => {
  const second = serve(args);
  expect(await second.exited).toBe(2);
  const message = second.stderr();
  expect(message).toContain("in use by another supervisor");
  expect(message).toContain(`pid ${holder.pid} on ${hostname()} since `);
  expect(message).toMatch(/since \d{4}-\d\d-\d\dT/);
};

describe("one supervisor per store", () => {
  it(
    "LMDB: a second serve on the directory exits 2 naming the holder; after SIGKILL one starts",
    { timeout: 60_000 },
    async () => {
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const args = ["--data-dir", dir];
      const first = serve(args);
      await first.started;
      const files = readdirSync(dir).sort();
      await secondIsRefused(args, first);
      expect(readdirSync(dir).sort()).toEqual(files);
      // The first one is unharmed.
      const ready = await fetch(`${(await first.started).api}/ready`);
      expect(ready.status).toBe(200);

      await first.kill("SIGKILL");
      const third = serve(args);
      await third.started;
      await secondIsRefused(args, third);
    },
  );

  it(
    "PostgreSQL: a second serve on the schema exits 2 naming the holder; after SIGKILL one starts",
    { timeout: 60_000 },
    async () => {
      await requirePostgres();
      const schema = uniqueSchema();
      cleanups.push(() => dropSchema(schema));
      const args = ["--database-url", pgUrl, "--database-schema", schema];
      const first = serve(args);
      await first.started;
      await secondIsRefused(args, first);
      await first.kill("SIGKILL");
      // The server ends the killed session (and its lock) once it sees the socket close.
      const third = serve(args);
      await third.started;
      await secondIsRefused(args, third);
    },
  );

  it("LMDB: the same directory cannot be opened twice, even in one process", async () => {
    const path = tempDir();
    cleanups.push(() => rmSync(path, { recursive: true, force: true }));
    const store = await Effect.runPromise(openLmdbStore({ path }));
    const error = await Effect.runPromise(Effect.flip(openLmdbStore({ path })));
    expect(error.held).toBe(true);
    expect(error.message).toContain(`pid ${process.pid}`);
    await Effect.runPromise(store.close);
    const again = await Effect.runPromise(openLmdbStore({ path }));
    await Effect.runPromise(again.close);
  });
});

describe("PostgreSQL: the lock's connection lost", () => {
  const open = async (): Promise<{ store: Store; schema: string }> => {
    await requirePostgres();
    const schema = uniqueSchema();
    const store = await Effect.runPromise(
      openPostgresStore({ connectionString: pgUrl, schema, poolSize: 2 }),
    );
    cleanups.push(async () => {
      await Effect.runPromise(store.close);
      await dropSchema(schema);
    });
    return { store, schema };
  };

  const admin = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    cleanups.push(() => c.end());
    return c;
  };

  /** Ends the session holding the schema's lock, as an operator's pg_terminate_backend would. */
  const terminateLockHolder = async (c: pg.Client, schema: string) => {
    const r = await c.query(
      `select pg_terminate_backend(pid) as done from pg_locks where locktype = 'advisory'
         and classid = $1 and objid = $2 and objsubid = 2 and granted`,
      [lockClass, schemaLockKey(schema)],
    );
    expect(r.rows).toEqual([{ done: true }]);
  };

  it("fails the store until the lock is taken again, then writes go on", async () => {
    const { store, schema } = await open();
    const c = await admin();
    await terminateLockHolder(c, schema);
    await until("the store to notice", () => !store.health().ok);
    expect(store.health().error).toContain("lost the store lock");
    await until("the lock to be taken again", () => store.health().ok);
    const r = await Effect.runPromise(store.jobs.create(makeJob()));
    expect(r.created).toBe(true);
  });

  it("is fatal when another session took the lock meanwhile; queries are refused", async () => {
    const { store, schema } = await open();
    const c = await admin();
    await terminateLockHolder(c, schema);
    // Another taker, before the store's own retry (its first comes after 100 ms at least).
    await c.query("select pg_advisory_lock($1, $2)", [lockClass, schemaLockKey(schema)]);
    await until("the store to give up", () => store.health().fatal);
    expect(store.health().ok).toBe(false);
    expect(store.health().error).toContain("another supervisor took the store");
    const write = await Effect.runPromise(Effect.flip(store.jobs.create(makeJob())));
    expect(write._tag).toBe("StoreError");
  });
});
