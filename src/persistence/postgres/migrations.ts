/**
 * Schema changes, as Kysely migrations written in code (no migration files to ship or find at
 * run time). Names sort in order of application; a migration, once released, never changes:
 * a change is a new migration. The Migrator runs them at start, in a transaction each, holding
 * Kysely's migration lock, so two supervisors starting together do not race.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { terminalJobStates } from "../../domain/job-state.ts";
import { formatValue } from "./tables.ts";

const terminal = sql.join(terminalJobStates.map((s) => sql.lit(s)));

const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("hodei_meta")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("value", "text", (c) => c.notNull())
      .execute();
    await db.insertInto("hodei_meta").values({ key: "format", value: formatValue }).execute();

    await db.schema
      .createTable("jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("spec", "jsonb", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("pipeline_run_id", "text")
      .addColumn("pipeline_step", "text")
      .addColumn("labels", "jsonb", (c) => c.notNull())
      .addColumn("idempotency_key", "text", (c) => c.unique())
      .execute();
    await db.schema
      .createIndex("jobs_run_id")
      .on("jobs")
      .columns(["pipeline_run_id", "id"])
      .where(sql.ref("pipeline_run_id"), "is not", null)
      .execute();
    await db.schema
      .createIndex("jobs_labels")
      .on("jobs")
      .using("gin")
      .expression(sql`labels jsonb_path_ops`)
      .execute();

    await db.schema
      .createTable("job_status")
      .addColumn("id", "text", (c) => c.primaryKey().references("jobs.id").onDelete("cascade"))
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("transitions", "jsonb", (c) => c.notNull())
      .addColumn("worker_id", "text")
      .addColumn("result", "jsonb")
      .addColumn("held", "boolean", (c) => c.notNull().defaultTo(false))
      .modifyEnd(sql`with (fillfactor = 70)`)
      .execute();
    await db.schema
      .createIndex("job_status_state_id")
      .on("job_status")
      .columns(["state", "id"])
      .execute();
    await db.schema
      .createIndex("job_status_finished")
      .on("job_status")
      .column("updated_at")
      .where(sql<boolean>`state in (${terminal})`)
      .execute();

    await db.schema
      .createTable("snapshots")
      .addColumn("address", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("snapshot", "json", (c) => c.notNull())
      .addColumn("deadline", "bigint")
      .addColumn("done", "boolean", (c) => c.notNull())
      .modifyEnd(sql`with (fillfactor = 70)`)
      .execute();
    await db.schema
      .createIndex("snapshots_active")
      .on("snapshots")
      .columns(["kind", "address"])
      .where(sql<boolean>`not done`)
      .execute();

    await db.schema
      .createTable("log_chunks")
      .addColumn("job_id", "text", (c) => c.notNull())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("stream", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("log_chunks_pk", ["job_id", "seq"])
      .execute();
    await db.schema
      .createTable("log_heads")
      .addColumn("job_id", "text", (c) => c.primaryKey())
      .addColumn("next_seq", "bigint", (c) => c.notNull())
      .addColumn("bytes", "bigint", (c) => c.notNull())
      .addColumn("lines", "bigint", (c) => c.notNull())
      .addColumn("truncated", "boolean", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("pipeline_definitions")
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("definition", "jsonb", (c) => c.notNull())
      .addColumn("stored_seq", "bigserial", (c) => c.notNull())
      .addPrimaryKeyConstraint("pipeline_definitions_pk", ["name", "version"])
      .execute();
    await db.schema
      .createTable("pipeline_runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("pipeline", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("jobs", "jsonb", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("workers")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("info", "jsonb", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
  },
};

/** A run's input, output, reason and steps: what the run view shows beyond its columns. */
const runDetails: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable("pipeline_runs").addColumn("details", "jsonb").execute();
  },
};

/**
 * Issued credentials (persistence/credentials.ts): API tokens and worker secrets, as digests.
 * In the store, not the data directory: they follow the data to another host or a standby.
 */
const credentials: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("api_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("record", "jsonb", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("worker_secrets")
      .addColumn("worker_id", "text", (c) => c.primaryKey())
      .addColumn("record", "jsonb", (c) => c.notNull())
      .execute();
  },
};

/**
 * Named queues: their settings (persistence/queues.ts), and an index for listing a queue's
 * jobs (`?queue=`); a spec stored before queues existed is in the default queue.
 */
const queues: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("queues")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("settings", "jsonb", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("jobs_queue")
      .on("jobs")
      .expression(sql`(coalesce(spec->>'queue', 'default')), id`)
      .execute();
  },
};

/** Cron schedules (persistence/schedules.ts): each one's record under its name. */
const schedules: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("schedules")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("record", "jsonb", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
  },
};

/** Every migration this build knows, by name. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_run_details": runDetails,
  "0003_credentials": credentials,
  "0004_queues": queues,
  "0005_schedules": schedules,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...migrations }),
};
