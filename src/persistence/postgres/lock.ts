/**
 * One supervisor per schema: a session advisory lock, held on a connection of its own for the
 * store's life.
 *
 * - Key: (`lockClass`, a 31-bit hash of the schema's name). Advisory locks are per database,
 *   so two schemas of one database have two locks.
 * - Who holds it: the holder writes `{ pid, host, since, backend }` in `hodei_meta` under
 *   `supervisor` (after migrating: the table exists from then on) and names itself in its
 *   connection's `application_name`. A supervisor refused the lock reads `pg_locks` for the
 *   holding backend and trusts the row only if it names that backend (a row left by a dead
 *   holder names another); otherwise it names what `pg_stat_activity` says of the backend.
 * - The lock's connection lost (the server restarted, `pg_terminate_backend`, the network):
 *   the session's lock is gone with it. The store is failing (health) and refuses every query
 *   until the lock is back; the connection is opened again with backoff and the lock re-taken.
 *   If another supervisor took it meanwhile, this one's memory may be behind the store: it is
 *   fatal, this supervisor must stop (the supervisor process exits, see supervisor/process.ts).
 *   The only window left: a write in flight when the lock connection dies, before the loss is
 *   seen, lands unfenced; the next supervisor cannot take the lock before the server has ended
 *   the old session, so no write of this one can interleave with its writes after its start.
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { Option, Schema } from "effect";
import pg from "pg";
import { describeCause, type HealthTracker } from "../health.ts";

/** "HODE": the first half of every Hodei advisory lock key. */
export const lockClass = 0x484f4445;

export const schemaLockKey = (schema: string): number =>
  createHash("sha256").update(`hodei schema ${schema}`).digest().readUInt32BE(0) & 0x7fffffff;

/** The `supervisor` row of `hodei_meta`: who holds the lock, on which backend. */
const Holder = Schema.parseJson(
  Schema.Struct({
    pid: Schema.Number,
    host: Schema.String,
    since: Schema.String,
    backend: Schema.Number,
  }),
);
const decodeHolder = Schema.decodeUnknownOption(Holder);

export class SchemaLocked {
  constructor(readonly description: string) {}
}

export interface SchemaLock {
  /** The lock is ours now: queries may run. */
  readonly held: () => boolean;
  /** Records this supervisor as the holder (once `hodei_meta` exists). */
  readonly record: () => Promise<void>;
  readonly release: () => Promise<void>;
}

const backoffMs = (n: number) => Math.min(5000, 100 * 2 ** n);

export const takeSchemaLock = async (o: {
  readonly connectionString: string;
  readonly schema: string;
  readonly health: HealthTracker;
}): Promise<SchemaLock> => {
  const key = schemaLockKey(o.schema);
  const meta = `"${o.schema}".hodei_meta`;
  const me = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let client: pg.Client | undefined;
  let held = false;
  let closing = false;
  let recorded = false;

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      connectionString: o.connectionString,
      application_name: `hodei-supervisor pid=${me.pid} host=${me.host}`.slice(0, 63),
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    c.on("error", () => {}); // the loss is handled on "end", which follows
    await c.connect();
    return c;
  };

  const tryLock = async (c: pg.Client): Promise<boolean> =>
    (await c.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) as ok", [lockClass, key]))
      .rows[0]!.ok;

  const holderOf = async (c: pg.Client): Promise<string> => {
    const backend = (
      await c.query<{ pid: number }>(
        `select pid from pg_locks where locktype = 'advisory' and classid = $1
           and objid = $2 and objsubid = 2 and granted`,
        [lockClass, key],
      )
    ).rows[0]?.pid;
    if (backend === undefined) return "another supervisor (it has just let go: try again)";
    const row = await c
      .query<{ value: string }>(`select value from ${meta} where key = 'supervisor'`)
      .then(
        (r) => r.rows[0]?.value,
        () => undefined,
      );
    const holder = Option.getOrUndefined(decodeHolder(row));
    if (holder?.backend === backend) {
      return `pid ${holder.pid} on ${holder.host} since ${holder.since}`;
    }
    const activity = (
      await c.query<{ application_name: string; client_addr: string | null; backend_start: Date }>(
        "select application_name, client_addr, backend_start from pg_stat_activity where pid = $1",
        [backend],
      )
    ).rows[0];
    return activity === undefined
      ? `PostgreSQL backend ${backend}`
      : `${activity.application_name || "a client"} from ${activity.client_addr ?? "a local socket"} ` +
          `since ${activity.backend_start.toISOString()} (PostgreSQL backend ${backend})`;
  };

  const record = async (): Promise<void> => {
    recorded = true;
    if (client === undefined || !held) return;
    const backend = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!
      .pid;
    await client.query(
      `insert into ${meta} (key, value) values ('supervisor', $1)
         on conflict (key) do update set value = excluded.value`,
      [JSON.stringify({ ...me, backend })],
    );
  };

  /** The lock's connection ended: fail the store, then take the lock again with backoff. */
  const lost = (c: pg.Client, why: string): void => {
    if (client !== c || closing) return;
    client = undefined;
    held = false;
    o.health.failed(`lost the store lock (its connection ended: ${why}); taking it again`);
    void retake(0);
  };

  const retake = async (attempt: number): Promise<void> => {
    await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    if (closing) return;
    let c: pg.Client | undefined;
    try {
      c = await connect();
      if (!(await tryLock(c))) {
        const who = await holderOf(c);
        await c.end();
        o.health.fatal(
          `another supervisor took the store while this one's lock connection was down: ${who}; ` +
            `this supervisor must stop`,
        );
        return;
      }
      client = c;
      held = true;
      watch(c);
      if (recorded) await record();
      o.health.succeeded();
    } catch (e) {
      void c?.end().catch(() => {});
      if (client === c) client = undefined;
      held = false;
      o.health.failed(`lost the store lock; taking it again: ${describeCause(e)}`);
      void retake(attempt + 1);
    }
  };

  const watch = (c: pg.Client) => {
    c.once("end", () => lost(c, "closed"));
    c.on("error", (e) => lost(c, describeCause(e)));
  };

  const first = await connect();
  try {
    if (!(await tryLock(first))) throw new SchemaLocked(await holderOf(first));
  } catch (e) {
    await first.end().catch(() => {});
    throw e;
  }
  client = first;
  held = true;
  watch(first);

  return {
    held: () => held,
    record,
    release: async () => {
      closing = true;
      held = false;
      const c = client;
      client = undefined;
      // Ending the session releases its advisory locks.
      await c?.end().catch(() => {});
    },
  };
};
