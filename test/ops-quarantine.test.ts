/**
 * A stored record the schema refuses never stops a supervisor from starting: `hodei serve`, on
 * LMDB and on PostgreSQL, over a store holding one job whose actor record is corrupt (an
 * attempt number no job can reach, as the bounce loop of older builds wrote). It starts, runs
 * the other job, lists the bad one under `/health` and in its log, answers reads of it with the
 * reason, and leaves it in the store as it was.
 */
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { corruptionOf } from "../src/persistence/quarantine.ts";
import type { Store } from "../src/persistence/index.ts";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { openPostgresStore } from "../src/persistence/postgres/store.ts";
import { eventually, freePort, opsScopePerTest, startServe } from "./fixtures/ops-harness.ts";
import {
  dropSchema,
  pgUrl,
  requirePostgres,
  uniqueSchema,
} from "./fixtures/persistence-adapters.ts";
import { jobActor, makeJob } from "./fixtures/persistence-records.ts";

const scope = opsScopePerTest();

interface Case {
  readonly name: string;
  /** The store the test writes to directly, and the flags that point `hodei serve` at it. */
  readonly prepare: (dir: string) => Promise<{ open: () => Promise<Store>; args: string[] }>;
}

const cases: ReadonlyArray<Case> = [
  {
    name: "lmdb",
    prepare: async (dir) => ({
      open: () => Effect.runPromise(openLmdbStore({ path: dir })),
      args: [],
    }),
  },
  {
    name: "postgres",
    prepare: async () => {
      await requirePostgres();
      const schema = uniqueSchema();
      scope.onCleanup(() => dropSchema(schema));
      return {
        open: () => Effect.runPromise(openPostgresStore({ connectionString: pgUrl, schema })),
        args: ["--database-url", pgUrl, "--database-schema", schema],
      };
    },
  },
];

describe.each(cases)("a corrupt record ($name)", (c) => {
  it(
    "is quarantined: the supervisor starts, runs the rest, and says which and why",
    { timeout: 90_000 },
    async () => {
      const dir = scope.dir();
      const { open, args } = await c.prepare(dir);
      const good = makeJob({ name: "good", command: { argv: ["true"] } });
      const bad = makeJob({ name: "bad" });
      const before = await open();
      await Effect.runPromise(
        Effect.gen(function* () {
          yield* before.jobs.create(good);
          yield* before.jobs.create(bad);
          const record = jobActor(bad.id).record();
          const context = { ...(record.snapshot.context as object), attempt: 5_000 };
          yield* before.snapshots.saveBatch([
            { ...record, snapshot: { ...record.snapshot, context } },
          ]);
        }).pipe(Effect.ensuring(before.close)),
      );

      const served = await startServe({
        dir,
        http: await freePort(),
        grpc: await freePort(),
        args: [...args, "--local-workers", "1"],
      }).then(scope.track);
      const health = (await (await fetch(`${served.url}/health`)).json()) as {
        quarantined: Array<{ kind: string; id: string; reason: string }>;
      };
      expect(health.quarantined).toMatchObject([{ kind: "job", id: bad.id }]);
      expect(served.output()).toContain("quarantined");
      expect(served.output()).toContain(bad.id);
      const read = await served.api.call("GET", `/jobs/${bad.id}`);
      expect(read.status).toBe(500);
      expect(read.body).toMatchObject({ error: { code: "quarantined" } });
      await eventually("the good job done", async () =>
        (await served.api.job(good.id)).state === "succeeded" ? true : undefined,
      );
      served.proc.kill("SIGTERM");
      expect(await served.exited).toBe(0);

      // Untouched: still there, still refused with the same reason.
      const after = await open();
      const again = await Effect.runPromise(
        Effect.flip(after.jobs.get(bad.id)).pipe(Effect.ensuring(after.close)),
      );
      expect(corruptionOf(again)).toMatchObject({ kind: "job", id: bad.id });
    },
  );
});
