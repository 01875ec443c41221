/**
 * A worker agent's options, normalized once. Defaults, and why:
 * - capacity: what the machine has (cores × 1000 millicores, total memory, no GPUs), with
 *   `maxJobs` = `concurrency` or the number of cores. Declare less on a shared host.
 * - name: the hostname (shown to operators; the supervisor gives the id).
 * - url: `host:port`, optionally `grpc://` (plaintext) or `grpcs://` (TLS; also implied by `tls`).
 * - timeoutGraceMs 10 s: a timed-out job's SIGTERM-to-SIGKILL grace (a cancel brings its own).
 * - reconnect: 200 ms first window, 15 s at most (see backoff.ts).
 * - logBatch.capBytes / capLines: output shipped per attempt (log-shipper.ts), by default
 *   `HODEI_LOG_MAX_BYTES` (the supervisor's per-job cap, when set in the agent's environment
 *   too) or 16 MiB, and 200,000 lines: what the store keeps of a job at most.
 * Bad values are refused with `InvalidInput`, every field named.
 */
import { cpus, hostname, totalmem } from "node:os";
import { Either, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import { boundedInt, expected } from "../domain/primitives.ts";
import { WorkerCapacity, WorkerInfo } from "../domain/worker.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { ClientTlsOptions } from "./client.ts";
import type { WorkerEventListener } from "./events.ts";
import type { JobHandler } from "./handler-job.ts";
import { defaultLogBatch, type LogBatchOptions } from "./log-shipper.ts";

export interface WorkerOptions {
  readonly url: string;
  readonly token: string;
  readonly tls?: ClientTlsOptions;
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly capacity?: Partial<WorkerCapacity>;
  readonly handlers?: Readonly<Record<string, JobHandler>>;
  /** Jobs run at once, at most (sets `capacity.maxJobs`). */
  readonly concurrency?: number;
  /** The id a previous run of this agent was given, to come back as the same worker. */
  readonly workerId?: string;
  /** The secret that id was given (`Worker.workerSecret()` of that run): proves the id. */
  readonly workerSecret?: string;
  /** Where command jobs run (and whose disk is reported). Default: the current directory. */
  readonly workDir?: string;
  readonly timeoutGraceMs?: number;
  readonly reconnect?: BackoffOptions;
  readonly logBatch?: Partial<LogBatchOptions>;
  readonly maxMessageBytes?: number;
  readonly keepaliveMs?: number;
  readonly registerTimeoutMs?: number;
  readonly onEvent?: WorkerEventListener;
}

const Url = Schema.String.pipe(
  Schema.filter(
    (s) => /^(grpcs?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s),
    expected("host:port, grpc://host:port or grpcs://host:port"),
  ),
);

const Checked = Schema.Struct({
  url: Url,
  token: Schema.String.pipe(Schema.minLength(1), Schema.annotations(expected("a non-empty token"))),
  name: WorkerInfo.fields.name,
  labels: WorkerInfo.fields.labels,
  handlers: WorkerInfo.fields.handlers,
  capacity: WorkerCapacity,
  timeoutGraceMs: boundedInt(0, 3_600_000),
  maxMessageBytes: boundedInt(1024, 256 * 1024 * 1024),
  keepaliveMs: boundedInt(1000, 24 * 3_600_000),
  registerTimeoutMs: boundedInt(1, 3_600_000),
  logMaxLines: boundedInt(1, 100_000),
  logMaxBytes: boundedInt(1024, 64 * 1024 * 1024),
  logMaxDelayMs: boundedInt(0, 60_000),
  logCapBytes: boundedInt(1024, 2 ** 40),
  logCapLines: boundedInt(1, 2 ** 40),
});

export interface NormalizedWorkerOptions {
  readonly address: string;
  readonly token: string;
  readonly tls?: ClientTlsOptions;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: WorkerCapacity;
  readonly handlers: ReadonlyMap<string, JobHandler>;
  readonly workerId?: string;
  readonly workerSecret?: string;
  readonly workDir: string;
  readonly timeoutGraceMs: number;
  readonly reconnect: BackoffOptions;
  readonly logBatch: LogBatchOptions;
  readonly maxMessageBytes: number;
  readonly keepaliveMs: number;
  readonly registerTimeoutMs: number;
  readonly onEvent: WorkerEventListener;
}

const mib = 1024 * 1024;

export const normalizeWorkerOptions = (o: WorkerOptions): NormalizedWorkerOptions => {
  const cores = Math.max(1, cpus().length);
  const handlers = Object.keys(o.handlers ?? {});
  const c = Either.getOrThrowWith(
    decodeWith(Checked)({
      url: o.url,
      token: o.token,
      name: o.name ?? hostname(),
      labels: o.labels ?? {},
      handlers,
      capacity: {
        cpuMillis: o.capacity?.cpuMillis ?? cores * 1000,
        memoryMb: o.capacity?.memoryMb ?? Math.floor(totalmem() / mib),
        gpus: o.capacity?.gpus ?? 0,
        maxJobs: o.concurrency ?? o.capacity?.maxJobs ?? cores,
      },
      timeoutGraceMs: o.timeoutGraceMs ?? 10_000,
      maxMessageBytes: o.maxMessageBytes ?? 4 * mib,
      keepaliveMs: o.keepaliveMs ?? 30_000,
      registerTimeoutMs: o.registerTimeoutMs ?? 10_000,
      logMaxLines: o.logBatch?.maxLines ?? defaultLogBatch.maxLines,
      // A batch must fit in a message, with room for the line that tips it over.
      logMaxBytes:
        o.logBatch?.maxBytes ??
        Math.min(defaultLogBatch.maxBytes, Math.floor((o.maxMessageBytes ?? 4 * mib) / 4)),
      logMaxDelayMs: o.logBatch?.maxDelayMs ?? defaultLogBatch.maxDelayMs,
      logCapBytes:
        o.logBatch?.capBytes ??
        (process.env["HODEI_LOG_MAX_BYTES"] !== undefined
          ? Number(process.env["HODEI_LOG_MAX_BYTES"])
          : defaultLogBatch.capBytes),
      logCapLines: o.logBatch?.capLines ?? defaultLogBatch.capLines,
    }),
    (e) => e,
  );
  const secure = c.url.startsWith("grpcs://") || o.tls !== undefined;
  return {
    address: c.url.replace(/^grpcs?:\/\//, ""),
    token: c.token,
    ...(secure ? { tls: o.tls ?? {} } : {}),
    name: c.name,
    labels: c.labels,
    capacity: c.capacity,
    handlers: new Map(Object.entries(o.handlers ?? {})),
    ...(o.workerId === undefined ? {} : { workerId: o.workerId }),
    ...(o.workerSecret === undefined ? {} : { workerSecret: o.workerSecret }),
    workDir: o.workDir ?? process.cwd(),
    timeoutGraceMs: c.timeoutGraceMs,
    reconnect: o.reconnect ?? {},
    logBatch: {
      ...defaultLogBatch,
      ...o.logBatch,
      maxLines: c.logMaxLines,
      maxBytes: c.logMaxBytes,
      maxDelayMs: c.logMaxDelayMs,
      capBytes: c.logCapBytes,
      capLines: c.logCapLines,
    },
    maxMessageBytes: c.maxMessageBytes,
    keepaliveMs: c.keepaliveMs,
    registerTimeoutMs: c.registerTimeoutMs,
    onEvent: o.onEvent ?? (() => {}),
  };
};

/** The environment every command starts from, before its own `env`: nothing secret. */
export const baseEnv = (from: NodeJS.ProcessEnv = process.env): Record<string, string> => {
  const keep = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"];
  const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin" };
  for (const k of keep) {
    const v = from[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
};
