/**
 * Connecting, checking that the schema is ours, and migrating it, before anything else runs.
 *
 * Refused with StoreUnusable, nothing written:
 * - the server cannot be reached (or refuses the login);
 * - another supervisor holds the schema's lock (lock.ts): `held`, naming it;
 * - the schema holds tables but no `hodei_meta` marker: another application's schema;
 * - the marker names another format, or Kysely's table lists a migration this build does not
 *   know: a newer Hodei migrated it, and running old code on it could corrupt it.
 * An empty or missing schema is created and migrated to the latest migration.
 */
import { Effect } from "effect";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import { StoreUnusable } from "../errors.ts";
import type { HealthTracker } from "../health.ts";
import { makeGuardedPool } from "./connections.ts";
import { SchemaLocked, takeSchemaLock, type SchemaLock } from "./lock.ts";
import { migrationProvider, migrations } from "./migrations.ts";
import { formatValue, type Database } from "./tables.ts";

const migrationTables = new Set(["kysely_migration", "kysely_migration_lock"]);

/** `postgres://host:port/db#schema`, without user or password. */
export const describeLocation = (connectionString: string, schema: string): string => {
  try {
    const u = new URL(connectionString);
    return `postgres://${u.host}${u.pathname}#${schema}`;
  } catch {
    return `postgres (unparsable URL)#${schema}`;
  }
};

const inspect = async (db: Kysely<Database>, schema: string): Promise<void> => {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = ${schema}`
    .execute(db)
    .then((r) => r.rows.map((row) => row.table_name));
  const ours = db.withSchema(schema);
  if (tables.includes("hodei_meta")) {
    const marker = await ours
      .selectFrom("hodei_meta")
      .select("value")
      .where("key", "=", "format")
      .executeTakeFirst();
    if (marker?.value !== formatValue) {
      throw `its hodei_meta table says format ${JSON.stringify(marker?.value)}; this build uses ${formatValue}`;
    }
  } else if (tables.some((t) => !migrationTables.has(t))) {
    const some = tables.slice(0, 5).join(", ") + (tables.length > 5 ? ", ..." : "");
    throw `schema "${schema}" belongs to another application: it has tables (${some}) and no hodei_meta marker`;
  }
  if (tables.includes("kysely_migration")) {
    const names = await sql<{
      name: string;
    }>`select name from ${sql.table(`${schema}.kysely_migration`)}`
      .execute(db)
      .then((r) => r.rows.map((row) => row.name));
    const unknown = names.filter((n) => !Object.hasOwn(migrations, n));
    if (unknown.length > 0) {
      throw `schema "${schema}" was migrated by a newer Hodei (unknown migrations: ${unknown.join(", ")})`;
    }
  }
};

export interface PostgresConnection {
  readonly connectionString: string;
  readonly schema: string;
  readonly poolSize: number;
  readonly health: HealthTracker;
}

export const openPostgres = (
  options: PostgresConnection,
): Effect.Effect<{ db: Kysely<Database>; lock: SchemaLock }, StoreUnusable> =>
  Effect.tryPromise({
    try: async () => {
      // The lock first: a second supervisor changes nothing, not even by migrating.
      const lock = await takeSchemaLock(options);
      const pool = makeGuardedPool({ ...options, lockHeld: lock.held });
      const root = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      try {
        await inspect(root, options.schema);
        const migrator = new Migrator({
          db: root.withSchema(options.schema),
          provider: migrationProvider,
          migrationTableSchema: options.schema,
        });
        const { error } = await migrator.migrateToLatest();
        if (error !== undefined) throw error;
        await lock.record();
        return { db: root.withSchema(options.schema), lock };
      } catch (e) {
        await root.destroy();
        await lock.release();
        throw e;
      }
    },
    catch: (e) =>
      e instanceof SchemaLocked
        ? new StoreUnusable({
            location: describeLocation(options.connectionString, options.schema),
            reason: `it is in use by another supervisor: ${e.description}`,
            held: true,
          })
        : new StoreUnusable({
            location: describeLocation(options.connectionString, options.schema),
            reason:
              typeof e === "string" ? e : e instanceof Error ? e.message || String(e) : String(e),
          }),
  });
