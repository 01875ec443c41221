/**
 * Opening a store refuses what is not ours — a file, another program's files or LMDB, a corrupt
 * data file, another application's PostgreSQL schema, a schema migrated by a newer Hodei — with
 * a clear StoreUnusable, and leaves it exactly as it was. What is ours opens again intact.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import { open } from "lmdb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { openPostgresStore } from "../src/persistence/postgres/store.ts";
import {
  dropSchema,
  pgUrl,
  requirePostgres,
  runSql,
  tempDir,
  uniqueSchema,
} from "./fixtures/persistence-adapters.ts";
import { makeJob } from "./fixtures/persistence-records.ts";

const hash = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

const refusal = (effect: Effect.Effect<unknown, { _tag: string; message: string }>) =>
  Effect.runPromise(Effect.flip(effect));

describe("opening an LMDB data directory", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("refuses a file where the directory should be, and leaves it alone", async () => {
    const path = join(dir(), "not-a-dir");
    writeFileSync(path, "hello");
    const error = await refusal(openLmdbStore({ path }));
    expect(error._tag).toBe("StoreUnusable");
    expect(error.message).toContain("is a file");
    expect(readFileSync(path, "utf8")).toBe("hello");
  });

  it("refuses a directory holding other files, without adding any", async () => {
    const path = dir();
    writeFileSync(join(path, "notes.txt"), "mine");
    const error = await refusal(openLmdbStore({ path }));
    expect(error.message).toContain("notes.txt");
    expect(readdirSync(path)).toEqual(["notes.txt"]);
  });

  it("refuses a corrupt data file before LMDB reads it, and does not touch it", async () => {
    const path = dir();
    const data = join(path, "data.mdb");
    writeFileSync(data, Buffer.alloc(64 * 1024, 0x5a));
    const before = hash(data);
    const error = await refusal(openLmdbStore({ path }));
    expect(error.message).toContain("not an LMDB file");
    expect(hash(data)).toBe(before);
    expect(existsSync(join(path, "lock.mdb"))).toBe(false);
  });

  it("refuses another application's LMDB and does not change its data", async () => {
    const path = dir();
    const other = open({ path, maxDbs: 4 });
    await other.openDB("users", {}).put("alice", { admin: true });
    await other.close();
    const before = hash(join(path, "data.mdb"));
    const error = await refusal(openLmdbStore({ path }));
    expect(error.message).toContain("another application");
    expect(error.message).toContain("users");
    expect(hash(join(path, "data.mdb"))).toBe(before);
  });

  it("refuses a Hodei store of another format", async () => {
    const path = dir();
    await Effect.runPromise(openLmdbStore({ path }).pipe(Effect.flatMap((s) => s.close)));
    const env = open({ path, maxDbs: 24 });
    await env.openDB("meta", {}).put("format", { app: "hodei", format: 99 });
    await env.close();
    const error = await refusal(openLmdbStore({ path }));
    expect(error.message).toContain("format 99");
  });

  it("opens its own directory again with everything in it", async () => {
    const path = join(dir(), "nested", ".hodei");
    const job = makeJob();
    await Effect.runPromise(
      openLmdbStore({ path }).pipe(
        Effect.flatMap((s) => s.jobs.create(job).pipe(Effect.zipRight(s.close))),
      ),
    );
    const again = await Effect.runPromise(
      openLmdbStore({ path }).pipe(
        Effect.flatMap((s) => s.jobs.get(job.id).pipe(Effect.zipLeft(s.close))),
      ),
    );
    expect(again).toEqual(job);
  });

  it("takes a directory whose name has a dot (`mktemp -d`'s tmp.XXXX, store.v1), new or existing", async () => {
    // LMDB reads a path with an extension as a file; Hodei's is always a directory.
    for (const path of [join(dir(), "store.v1"), join(dir(), "tmp.aB3dE9")]) {
      for (const existing of [false, true]) {
        const at = existing ? `${path}-existing` : path;
        if (existing) mkdirSync(at);
        const job = makeJob();
        await Effect.runPromise(
          openLmdbStore({ path: at }).pipe(
            Effect.flatMap((s) => s.jobs.create(job).pipe(Effect.zipRight(s.close))),
          ),
        );
        expect(readdirSync(at)).toContain("data.mdb");
        const again = await Effect.runPromise(
          openLmdbStore({ path: at }).pipe(
            Effect.flatMap((s) => s.jobs.get(job.id).pipe(Effect.zipLeft(s.close))),
          ),
        );
        expect(again).toEqual(job);
      }
    }
  });
});

describe("opening a PostgreSQL schema", () => {
  beforeAll(requirePostgres);
  const schemas: string[] = [];
  const schema = () => {
    const s = uniqueSchema();
    schemas.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of schemas.splice(0)) await dropSchema(s);
  });
  const openIn = (s: string) =>
    openPostgresStore({ connectionString: pgUrl, schema: s, poolSize: 2 });

  it("refuses another application's schema and leaves its tables alone", async () => {
    const s = schema();
    await runSql(
      `create schema ${s}; create table ${s}.invoices (id int); insert into ${s}.invoices values (7)`,
    );
    const error = await refusal(openIn(s));
    expect(error._tag).toBe("StoreUnusable");
    expect(error.message).toContain("another application");
    expect(error.message).toContain("invoices");
    expect(error.message).not.toContain("postgres@");
    await runSql(`do $$ begin
      if (select count(*) from information_schema.tables where table_schema = '${s}') <> 1
        or (select id from ${s}.invoices) <> 7 then raise exception 'changed'; end if; end $$`);
  });

  it("refuses a schema migrated by a newer Hodei, or of another format", async () => {
    const s = schema();
    await Effect.runPromise(openIn(s).pipe(Effect.flatMap((store) => store.close)));
    await runSql(
      `insert into ${s}.kysely_migration (name, timestamp) values ('9999_future', now()::text)`,
    );
    expect((await refusal(openIn(s))).message).toContain("newer Hodei");
    await runSql(`delete from ${s}.kysely_migration where name = '9999_future';
      update ${s}.hodei_meta set value = 'hodei:99' where key = 'format'`);
    expect((await refusal(openIn(s))).message).toContain("hodei:99");
  });

  it("migrates once, then opens its own schema again with everything in it", async () => {
    const s = schema();
    const job = makeJob();
    await Effect.runPromise(
      openIn(s).pipe(
        Effect.flatMap((store) => store.jobs.create(job).pipe(Effect.zipRight(store.close))),
      ),
    );
    const again = await Effect.runPromise(
      openIn(s).pipe(
        Effect.flatMap((store) => store.jobs.get(job.id).pipe(Effect.zipLeft(store.close))),
      ),
    );
    expect(again).toEqual(job);
  });

  it("says where it could not connect, without the password", async () => {
    const error = await refusal(
      openPostgresStore({
        connectionString: "postgres://hodei:secret@127.0.0.1:1/db",
        schema: "x",
      }),
    );
    expect(error.message).toContain("127.0.0.1:1");
    expect(error.message).not.toContain("secret");
  });
});
