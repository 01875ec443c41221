/**
 * The pool every query of the store runs on, made to survive a lost server or connection.
 *
 * - `pg.Pool` emits "error" for an idle client whose connection dies (the server restarted,
 *   `pg_terminate_backend`), and a client checked out between two queries emits it on itself:
 *   unheard, either kills the process. Both are heard here: the store is marked failing and
 *   the dead client is dropped (the pool discards a client that errored when it is released).
 * - Reconnection: the pool opens new connections on demand, so the next query after a loss
 *   reconnects; the callers pace their retries (the runtime retries its commits with backoff,
 *   the health probe tries once a second). `connectionTimeoutMillis` keeps a query from
 *   waiting forever on a server that does not answer, TCP keepalive finds dead peers.
 * - Health: a query that fails for the server's or the connection's sake (not a constraint or
 *   a bad statement: SQLSTATE classes 08, 53, 57, 58, XX, or no SQLSTATE at all) marks the
 *   store failing; one that succeeds marks it healthy.
 * - Fencing: no connection is handed out while the store lock is not held (lock.ts).
 */
import pg from "pg";
import { describeCause, type HealthTracker } from "../health.ts";

/** int8 as a JS number: ids are text, and every bigint column is a time, seq or count < 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) as never,
};

const faultClasses = new Set(["08", "53", "57", "58", "XX"]);

/** A failure of the server or the connection rather than of the statement. */
export const isStoreFault = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code) || faultClasses.has(code.slice(0, 2))
  );
};

/** What Kysely's PostgresDialect needs of a pool. */
export interface GuardedPool {
  readonly connect: () => Promise<pg.PoolClient>;
  readonly end: () => Promise<void>;
}

export const makeGuardedPool = (o: {
  readonly connectionString: string;
  readonly poolSize: number;
  readonly health: HealthTracker;
  readonly lockHeld: () => boolean;
}): GuardedPool => {
  const pool = new pg.Pool({
    connectionString: o.connectionString,
    max: o.poolSize,
    types,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    // Which process a backend serves, for an operator reading pg_stat_activity.
    application_name: `hodei-store pid=${process.pid}`,
  });
  const lostConnection = (e: unknown) =>
    o.health.failed(`a PostgreSQL connection failed: ${describeCause(e)}`);
  pool.on("error", lostConnection);
  pool.on("connect", (client) => client.on("error", lostConnection));

  const watched = (q: Promise<unknown>) =>
    q.then(
      (r) => {
        o.health.succeeded();
        return r;
      },
      (e: unknown) => {
        if (isStoreFault(e)) o.health.failed(`PostgreSQL failed: ${describeCause(e)}`);
        throw e;
      },
    );
  /** The same wrapper for a client every time it is lent: Kysely keys its connections by it. */
  const wrappers = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    let w = wrappers.get(client);
    if (w === undefined) {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      w = Object.assign(Object.create(client) as pg.PoolClient, {
        query: (...args: unknown[]) => {
          const r = query(...args);
          return r instanceof Promise ? watched(r) : r;
        },
        release: (err?: Error | boolean) => client.release(err),
      });
      wrappers.set(client, w);
    }
    return w;
  };

  return {
    connect: async () => {
      if (!o.lockHeld()) throw new Error("the store lock is not held (its connection was lost)");
      try {
        return wrap(await pool.connect());
      } catch (e) {
        lostConnection(e);
        throw e;
      }
    },
    end: () => pool.end(),
  };
};
