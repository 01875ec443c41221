/**
 * The composition root: configuration → store (LMDB by default, PostgreSQL when a database
 * URL is set) → bus → actor runtime and scheduler (the core) → worker protocol server → HTTP
 * server. Only this file knows every adapter.
 *
 * Everything lives in one Scope: closing it is the graceful shutdown, in order — HTTP stops
 * accepting, the scheduler stops placing, running jobs get `shutdownGraceMs` to finish (what
 * is still running then is left to recovery: the agents keep running it and reconcile with the
 * next supervisor), the worker protocol closes, mailboxes drain, snapshots flush, the store
 * closes.
 */
import { Effect, Exit, Schedule, Scope } from "effect";
import { makeMemoryBus } from "../bus/index.ts";
import type { HodeiConfig } from "../config.ts";
import { hwpServer, readTlsFiles } from "../hwp/index.ts";
import type { Store } from "../persistence/index.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { openLmdbStore } from "../persistence/lmdb/store.ts";
import { makeSupervisorCore, type SupervisorCore } from "./core.ts";
import type { Logger } from "./logger.ts";

export interface RunningSupervisor {
  readonly core: SupervisorCore;
  readonly grpcAddress: string;
  readonly httpAddress: string | null;
  readonly ready: () => { readonly ready: boolean; readonly checks: Record<string, boolean> };
}

/** The HTTP side is plugged in by the CLI (src/api), so the core can run without it. */
export type HttpStarter = (
  core: SupervisorCore,
  config: HodeiConfig,
  readiness: RunningSupervisor["ready"],
) => Effect.Effect<{ readonly address: string }, unknown, Scope.Scope>;

const openStore = (config: HodeiConfig): Effect.Effect<Store, unknown, Scope.Scope> => {
  const url = config.databaseUrl;
  return Effect.acquireRelease(
    url !== undefined
      ? // Loaded only when asked for: kysely and pg cost an LMDB supervisor's start for nothing.
        Effect.flatMap(
          Effect.promise(() => import("../persistence/postgres/store.ts")),
          ({ openPostgresStore }) =>
            openPostgresStore({
              connectionString: url,
              schema: config.databaseSchema,
              logCap: { maxBytes: config.logMaxBytes },
            }),
        )
      : openLmdbStore({ path: config.dataDir, logCap: { maxBytes: config.logMaxBytes } }),
    (store) => store.close,
  );
};

export const startSupervisor = (
  config: HodeiConfig,
  log: Logger,
  http?: HttpStarter,
  pipelines: ReadonlyArray<Pipeline> = [],
): Effect.Effect<RunningSupervisor, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const checks = { store: false, recovered: false, grpc: false, http: http === undefined };
    const ready = () => ({ ready: Object.values(checks).every(Boolean), checks: { ...checks } });

    const store = yield* openStore(config);
    checks.store = true;
    const bus = yield* makeMemoryBus;
    const core = yield* makeSupervisorCore({
      store,
      bus,
      pipelines,
      config: {
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        heartbeatTimeoutMs: config.heartbeatTimeoutMs,
        acceptTimeoutMs: config.acceptTimeoutMs,
        cancelGraceMs: config.cancelGraceMs,
      },
    });
    checks.recovered = true;
    log.info("recovered", { liveJobs: core.liveJobs() });

    // Retention: finished jobs, their logs and snapshots go once they are older than
    // `retentionMs`; checked at start and then every tenth of the retention (at most hourly).
    // Lost or offline workers go too, once gone for `workerRetentionMs` (worker-pruning.ts).
    const purge = Effect.suspend(() => store.purgeFinished(Date.now() - config.retentionMs)).pipe(
      Effect.tap((r) =>
        r.jobs + r.runs > 0
          ? Effect.sync(() => log.info("purged", { jobs: r.jobs, runs: r.runs }))
          : Effect.void,
      ),
      Effect.zipLeft(
        Effect.suspend(() => core.pruneWorkers(Date.now() - config.workerRetentionMs)).pipe(
          Effect.tap((ids) =>
            ids.length > 0 ? Effect.sync(() => log.info("forgot workers", { ids })) : Effect.void,
          ),
        ),
      ),
      Effect.catchAll((e) => Effect.sync(() => log.warn("purge failed", { error: String(e) }))),
    );
    const shortest = Math.min(config.retentionMs, config.workerRetentionMs);
    const every = Math.min(3_600_000, Math.max(60_000, Math.floor(shortest / 10)));
    yield* Effect.forkScoped(
      Effect.repeat(purge, Schedule.spaced(every)).pipe(Effect.delay(1_000)),
    );

    // Shutdown, part one (finalizers run in reverse): stop placing, give running jobs their
    // grace period, then let the scopes below close the servers and flush.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        core.scheduler.send({ type: "drain" });
        const deadline = Date.now() + config.shutdownGraceMs;
        while (core.scheduler.reservations() > 0 && Date.now() < deadline) {
          yield* Effect.sleep("50 millis");
        }
        log.info("stopped", { stillRunning: core.scheduler.reservations() });
      }),
    );

    const tls =
      config.tlsCert !== undefined && config.tlsKey !== undefined
        ? readTlsFiles({
            cert: config.tlsCert,
            key: config.tlsKey,
            ...(config.tlsCa !== undefined ? { ca: config.tlsCa } : {}),
          })
        : undefined;
    const grpc = yield* hwpServer({
      address: config.grpc,
      inbound: core.inbound,
      auth: {
        ...(config.workerToken !== undefined ? { token: config.workerToken } : {}),
        ...(config.jwtSecret !== undefined ? { jwtSecret: config.jwtSecret } : {}),
      },
      ...(tls !== undefined ? { tls } : {}),
    });
    core.attachGateway(grpc.gateway);
    checks.grpc = true;

    let httpAddress: string | null = null;
    if (http !== undefined) {
      httpAddress = (yield* http(core, config, ready)).address;
      checks.http = true;
    }
    log.info("listening", {
      http: httpAddress,
      grpc: grpc.address,
      store: config.databaseUrl ? "postgres" : config.dataDir,
    });
    return { core, grpcAddress: grpc.address, httpAddress, ready };
  });

/** Runs until `stop` resolves (a signal), then closes everything in order. */
export const runSupervisor = async (
  config: HodeiConfig,
  log: Logger,
  stop: Promise<void>,
  http?: HttpStarter,
  onStarted?: (s: RunningSupervisor) => void,
  pipelines: ReadonlyArray<Pipeline> = [],
): Promise<void> => {
  const scope = Effect.runSync(Scope.make());
  try {
    const running = await Effect.runPromise(
      Scope.extend(startSupervisor(config, log, http, pipelines), scope),
    );
    onStarted?.(running);
    await stop;
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
  }
};
