/**
 * One typed configuration for the supervisor, from (highest first) command-line flags,
 * `HODEI_*` environment variables, a config file (JSON or YAML, `--config` / `HODEI_CONFIG`),
 * and the defaults below. One schema checks the merged result: a bad value is reported with
 * its name and where it came from, and the process exits with code 2.
 *
 * Defaults (a single machine, nothing to set up):
 * - HTTP API on 127.0.0.1:8080, worker protocol (gRPC) on 127.0.0.1:50051;
 * - LMDB in `./.hodei`; PostgreSQL instead when `databaseUrl` is set;
 * - agents heartbeat every 5 s and are lost after 30 s of silence;
 * - finished jobs and their logs are kept 7 days; a job's log is capped at 16 MiB;
 * - no pipelines from code unless `pipelines` names a module exporting them;
 * - security: the API asks for a token (the first start on loopback writes an admin token in
 *   the data directory); `insecureNoAuth` turns that off and is refused unless the API is on a
 *   loopback address; no browser origin may call the API; agent JWTs expire within 30 days;
 *   at most 10,000 workers registered at once.
 */
import { readFileSync } from "node:fs";
import { Either, ParseResult, Schema } from "effect";
import { parse as parseYaml } from "yaml";
import { hostOf, isLoopbackHost } from "./domain/address.ts";
import { decodeWith } from "./domain/decode.ts";
import type { InvalidInput } from "./domain/errors.ts";
import { QueueName, QueueSettingsPatch } from "./domain/queue.ts";

const Address = Schema.String.pipe(
  Schema.pattern(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
    message: () => "Expected host:port, e.g. 127.0.0.1:8080",
  }),
);
const Millis = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 86_400_000));
const Count = Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, 1_000));
const Text = Schema.String.pipe(Schema.minLength(1));

// ---- security settings (issue #13): their schemas ----
/** `true`/`false`/`1`/`0`, or a flag's boolean. */
const Flag = Schema.transform(
  Schema.Union(Schema.Boolean, Schema.Literal("true", "false", "1", "0")),
  Schema.Boolean,
  { strict: true, decode: (v) => v === true || v === "true" || v === "1", encode: (b) => b },
);
/** RFC 7518 §3.2: an HS256 key of at least 256 bits. */
const JwtSecret = Schema.String.pipe(
  Schema.filter((s) => Buffer.byteLength(s) >= 32, {
    message: () => "Expected a JWT secret of at least 32 bytes (HS256 needs a 256-bit key)",
  }),
);
const OriginList = Schema.String.pipe(
  Schema.pattern(/^https?:\/\/[^/\s,]+(,https?:\/\/[^/\s,]+)*$/, {
    message: () => "Expected origins separated by commas, e.g. https://ops.example.com",
  }),
);

/**
 * Named queues' settings by name: a mapping in the config file, JSON text in the environment
 * (`HODEI_QUEUES='{"mail":{"concurrency":2}}'`).
 */
const QueuesByName = Schema.Record({ key: QueueName, value: QueueSettingsPatch });
const Queues = Schema.transformOrFail(Schema.Unknown, QueuesByName, {
  strict: true,
  decode: (u, _, ast) => {
    type Given = typeof QueuesByName.Encoded;
    if (typeof u !== "string") return ParseResult.succeed(u as Given);
    try {
      return ParseResult.succeed(JSON.parse(u) as Given);
    } catch {
      return ParseResult.fail(new ParseResult.Type(ast, u, "Expected queues as JSON text"));
    }
  },
  encode: ParseResult.succeed,
});

/**
 * Marks a setting that has no command-line flag (a secret: flags show in `ps`); it comes from
 * the environment or the config file only.
 */
export const NoFlag = Symbol.for("hodei/config/no-flag");

/** Marks a boolean setting: its flag is a switch (`--metrics-public`), not `--flag <value>`. */
export const IsSwitch = Symbol.for("hodei/config/switch");
const asSwitch = <A, I>(schema: Schema.Schema<A, I>): Schema.Schema<A, I> =>
  schema.annotations({ [IsSwitch]: true });

/** The meaning of a setting, as `--help`, `hodei config --print-defaults` and the README say. */
const doc =
  (description: string, secret = false) =>
  <A, I>(schema: Schema.Schema<A, I>): Schema.Schema<A, I> =>
    schema.annotations({ description, ...(secret ? { [NoFlag]: true } : {}) });

/**
 * Every setting as text, as flags and the environment give it; numbers parsed by the schema.
 * Each one's description is its documentation: config-docs.ts renders it for `--help`,
 * `hodei config --print-defaults` and the README's table (a test keeps that equal).
 */
export const HodeiConfig = Schema.Struct({
  http: Address.pipe(doc("HTTP API address (host:port; port 0 picks a free one)")),
  grpc: Address.pipe(doc("worker protocol (gRPC) address (host:port)")),
  dataDir: Text.pipe(doc("LMDB data directory, when no database URL is set")),
  databaseUrl: Schema.optional(Text.pipe(doc("PostgreSQL connection URL, instead of LMDB"))),
  databaseSchema: Text.pipe(doc("PostgreSQL schema the supervisor's tables live in")),
  apiToken: Schema.optional(
    Text.pipe(doc("an admin token the HTTP API accepts, besides the stored ones", true)),
  ),
  workerToken: Schema.optional(
    Text.pipe(doc("token agents present; without it or a JWT secret, a random one", true)),
  ),
  jwtSecret: Schema.optional(
    JwtSecret.pipe(doc("HS256 secret of agents' JWTs (role `worker`), 32 bytes or more", true)),
  ),
  tlsCert: Schema.optional(Text.pipe(doc("worker protocol TLS certificate file (PEM)"))),
  tlsKey: Schema.optional(Text.pipe(doc("worker protocol TLS private key file (PEM)"))),
  tlsCa: Schema.optional(Text.pipe(doc("CA file: agents must present a certificate it signed"))),
  heartbeatIntervalMs: Millis.pipe(doc("how often agents heartbeat, ms")),
  heartbeatTimeoutMs: Millis.pipe(doc("a worker silent this long is lost, ms")),
  acceptTimeoutMs: Millis.pipe(doc("an assignment not started within this goes back, ms")),
  cancelGraceMs: Millis.pipe(doc("a cancelled job's time to stop before it is killed, ms")),
  lostWorkerGraceMs: Millis.pipe(
    doc("a job on its last attempt waits this long for its lost worker to come back, ms"),
  ),
  shutdownGraceMs: Millis.pipe(doc("on shutdown, how long running jobs may finish, ms")),
  strategy: Schema.Literal("spread", "binpack").pipe(doc("placement: spread or binpack")),
  localWorkers: Count.pipe(doc("agents `serve` starts on this machine, sharing its capacity")),
  /** Finished jobs (with their logs) are purged this long after they finished. */
  retentionMs: Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(60_000, 3_650 * 86_400_000),
    doc("finished jobs, their logs and runs are purged this long after, ms"),
  ),
  failedRetentionMs: Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(60_000, 3_650 * 86_400_000),
    doc("failed and timed-out jobs (dead letters) are purged this long after, ms"),
  ),
  workerRetentionMs: Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(60_000, 3_650 * 86_400_000),
    doc("lost or offline workers are forgotten this long after, ms"),
  ),
  logMaxBytes: Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(1024, 2 ** 40),
    doc("a job's log is cut (with a marker) past this many bytes"),
  ),
  logLevel: Schema.Literal("debug", "info", "warn", "error").pipe(doc("supervisor log level")),
  /** A module whose exported pipelines `hodei serve` registers (a path, relative to the cwd). */
  pipelines: Schema.optional(Text.pipe(doc("a .ts/.js module whose exported pipelines to run"))),
  // ---- security (issue #13): who may do what ----
  insecureNoAuth: Flag.pipe(
    doc("serve the API without tokens; refused unless the API binds a loopback address"),
    asSwitch,
  ),
  apiAllowedOrigins: Schema.optional(
    OriginList.pipe(doc("browser origins allowed to call the API (CORS), comma-separated")),
  ),
  metricsPublic: Flag.pipe(doc("/api/v1/metrics without a token, for a scraper"), asSwitch),
  jwtMaxLifetimeMs: Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(60_000, 3_650 * 86_400_000),
    doc("an agent's JWT must expire at most this long after it was issued, ms"),
  ),
  maxWorkers: Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(1, 1_000_000),
    doc("workers registered at once; one more registration is refused"),
  ),
  // ---- named queues (issue #17) ----
  queues: Schema.optional(
    Queues.pipe(
      doc(
        "named queues' settings, { name: { paused, concurrency, rateLimit: { max, perMs } } }; the API's changes win",
        true,
      ),
    ),
  ),
});
export type HodeiConfig = typeof HodeiConfig.Type;
/** Settings as given: text, but `queues` from a file is a mapping. */
type Raw = Partial<Record<Exclude<keyof HodeiConfig, "queues">, string>> & {
  readonly queues?: unknown;
};

export const defaults: Raw = {
  http: "127.0.0.1:8080",
  grpc: "127.0.0.1:50051",
  dataDir: "./.hodei",
  databaseSchema: "hodei",
  heartbeatIntervalMs: "5000",
  heartbeatTimeoutMs: "30000",
  acceptTimeoutMs: "30000",
  cancelGraceMs: "10000",
  lostWorkerGraceMs: "60000",
  shutdownGraceMs: "30000",
  strategy: "spread",
  localWorkers: "0",
  retentionMs: String(7 * 86_400_000),
  failedRetentionMs: String(30 * 86_400_000),
  workerRetentionMs: String(86_400_000),
  logMaxBytes: String(16 * 2 ** 20),
  logLevel: "info",
  insecureNoAuth: "false",
  metricsPublic: "false",
  jwtMaxLifetimeMs: String(30 * 86_400_000),
  maxWorkers: "10000",
};

const keys = Object.keys(HodeiConfig.fields) as Array<keyof HodeiConfig>;
/** `heartbeatTimeoutMs` ↔ `HODEI_HEARTBEAT_TIMEOUT_MS`; `http` ↔ `HODEI_HTTP_ADDR`. */
export const envName = (key: keyof HodeiConfig): string =>
  key === "http" || key === "grpc"
    ? `HODEI_${key.toUpperCase()}_ADDR`
    : `HODEI_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

const fromEnv = (env: NodeJS.ProcessEnv): Raw =>
  Object.fromEntries(keys.flatMap((k) => (env[envName(k)] ? [[k, env[envName(k)]!]] : [])));

const fromFile = (path: string): Raw => {
  const text = readFileSync(path, "utf8");
  const data: unknown = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new Error(`${path}: expected a mapping of settings`);
  }
  const unknown = Object.keys(data).filter((k) => !keys.includes(k as keyof HodeiConfig));
  if (unknown.length > 0) throw new Error(`${path}: unknown setting(s) ${unknown.join(", ")}`);
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, k === "queues" ? v : String(v)]),
  );
};

/** No tokens on an address others can reach is never what anyone meant. */
const refuseExposure = (c: HodeiConfig): Either.Either<HodeiConfig, Error> =>
  c.insecureNoAuth && !isLoopbackHost(hostOf(c.http))
    ? Either.left(
        new Error(
          `insecureNoAuth (--insecure-no-auth) serves the API to whoever reaches it, so it binds only a loopback address (127.0.0.1, ::1, localhost), not ${c.http}`,
        ),
      )
    : Either.right(c);

/** Flags over environment over file over defaults; Left with every bad setting named. */
export const loadConfig = (
  flags: Raw & { readonly config?: string },
  env: NodeJS.ProcessEnv = process.env,
): Either.Either<HodeiConfig, InvalidInput | Error> => {
  try {
    const path = flags.config ?? env["HODEI_CONFIG"];
    const merged: Raw = {
      ...defaults,
      ...(path ? fromFile(path) : {}),
      ...fromEnv(env),
      ...Object.fromEntries(
        Object.entries(flags).filter(([k, v]) => v !== undefined && k !== "config"),
      ),
    };
    return Either.flatMap(decodeWith(HodeiConfig)(merged), refuseExposure);
  } catch (e) {
    return Either.left(e instanceof Error ? e : new Error(String(e)));
  }
};
