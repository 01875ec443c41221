/**
 * The composition root: configuration → store (LMDB by default, PostgreSQL when a database
 * URL is set) → bus → actor runtime and scheduler (the core) → worker protocol server → HTTP
 * server. Only this file knows every adapter.
 *
 * Everything lives in one Scope: closing it is the graceful shutdown, in order —
 * 1. stop taking new work: HTTP writes answer 503 (reads go on), the scheduler stops placing;
 * 2. running jobs get `shutdownGraceMs` to finish while both listeners stay up, so their
 *    agents keep heartbeating and their results are committed and acknowledged (`onDrain`
 *    runs here too: `hodei serve` lets its local agents drain and leave);
 * 3. the worker protocol closes: every session ends with UNAVAILABLE "supervisor shutting
 *    down", and the agents, still running what was not done, reconnect to the next supervisor
 *    with backoff and reconcile with it (see proto/hwp.proto);
 * 4. HTTP closes, mailboxes drain, snapshots flush, the store closes.
 * The drain is the last finalizer added, so it is the first to run.
 */
import { Cause, Effect, Exit, Schedule, Scope } from "effect";
import { makeMemoryBus } from "../bus/index.ts";
import type { HodeiConfig } from "../config.ts";
import { hwpServer, readTlsFiles } from "../hwp/index.ts";
import type { QuarantinedRecord, Store } from "../persistence/index.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { openLmdbStore } from "../persistence/lmdb/store.ts";
import { makeSupervisorCore, type SupervisorCore } from "./core.ts";
import type { Logger } from "./logger.ts";

export interface RunningSupervisor {
  readonly core: SupervisorCore;
  readonly grpcAddress: string;
  readonly httpAddress: string | null;
  readonly ready: () => { readonly ready: boolean; readonly checks: Record<string, boolean> };
  /** Resolves, with why, if the store is lost for good (another supervisor took its lock). */
  readonly storeLost: Promise<string>;
}

/** The HTTP side is plugged in by the CLI (src/api), so the core can run without it. */
export type HttpStarter = (
  core: SupervisorCore,
  config: HodeiConfig,
  readiness: RunningSupervisor["ready"],
) => Effect.Effect<
  {
    readonly address: string;
    /** Shutdown's first step: writes answer 503, reads go on. */
    readonly stopAccepting: () => void;
  },
  unknown,
  Scope.Scope
>;

export interface ShutdownHooks {
  /**
   * Runs during the drain, with both listeners up, after placing stopped; the drain waits for
   * it and for the running jobs, together bounded by `shutdownGraceMs`.
   */
  readonly onDrain?: (deadline: number) => Promise<void>;
}

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
  hooks: ShutdownHooks = {},
): Effect.Effect<RunningSupervisor, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const checks = { store: false, recovered: false, grpc: false, http: http === undefined };
    let store: Store | undefined;
    // The store's check is its health: false while a fault fails its writes (health.ts).
    const current = () => ({ ...checks, store: checks.store && store?.health().ok === true });
    const ready = () => {
      const now = current();
      return { ready: Object.values(now).every(Boolean), checks: now };
    };

    store = yield* openStore(config);
    checks.store = true;
    const opened = store;
    const storeLost = new Promise<string>((resolve) => {
      const timer = setInterval(() => {
        const h = opened.health();
        if (!h.fatal) return;
        clearInterval(timer);
        log.error("store lost", { error: h.error });
        resolve(h.error ?? "the store is lost");
      }, 250);
      timer.unref();
    });
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
        lostWorkerGraceMs: config.lostWorkerGraceMs,
        queues: config.queues ?? {},
      },
    });
    checks.recovered = true;
    const quarantined = (r: QuarantinedRecord) =>
      log.warn("quarantined a stored record the schema refuses (kept untouched)", { ...r });
    for (const r of store.quarantine.list()) quarantined(r);
    store.quarantine.onAdd(quarantined);
    log.info("recovered", {
      liveJobs: core.liveJobs(),
      quarantined: store.quarantine.list().length,
      machines: core.machines,
    });

    // Retention: finished jobs, their logs and snapshots go once they are older than
    // `retentionMs`; checked at start and then every tenth of the retention (at most hourly).
    // Lost or offline workers go too, once gone for `workerRetentionMs` (worker-pruning.ts).
    // Failed and timed-out jobs by their own retention (`failedRetentionMs`), for a redrive.
    // Cutoffs on the core's clock: the one every job's `updatedAt` was stamped with.
    const purge = Effect.suspend(() =>
      store.purgeFinished(core.now() - config.retentionMs, core.now() - config.failedRetentionMs),
    ).pipe(
      Effect.tap((r) =>
        r.jobs + r.runs > 0
          ? Effect.sync(() => log.info("purged", { jobs: r.jobs, runs: r.runs }))
          : Effect.void,
      ),
      Effect.zipLeft(
        Effect.suspend(() => core.pruneWorkers(core.now() - config.workerRetentionMs)).pipe(
          Effect.tap((ids) =>
            ids.length > 0 ? Effect.sync(() => log.info("forgot workers", { ids })) : Effect.void,
          ),
        ),
      ),
      Effect.catchAll((e) => Effect.sync(() => log.warn("purge failed", { error: String(e) }))),
    );
    const shortest = Math.min(
      config.retentionMs,
      config.failedRetentionMs,
      config.workerRetentionMs,
    );
    const every = Math.min(3_600_000, Math.max(60_000, Math.floor(shortest / 10)));
    yield* Effect.forkScoped(
      Effect.repeat(purge, Schedule.spaced(every)).pipe(Effect.delay(1_000)),
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
        jwtMaxLifetimeMs: config.jwtMaxLifetimeMs,
      },
      secrets: store.credentials,
      maxWorkers: config.maxWorkers,
      ...(tls !== undefined ? { tls } : {}),
    });
    core.attachGateway(grpc.gateway);
    checks.grpc = true;

    let httpAddress: string | null = null;
    let stopAccepting = () => {};
    if (http !== undefined) {
      const served = yield* http(core, config, ready);
      httpAddress = served.address;
      stopAccepting = served.stopAccepting;
      checks.http = true;
    }

    // The drain: added last, so it runs first, while the servers above still serve.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        stopAccepting();
        core.scheduler.send({ type: "drain" });
        const deadline = Date.now() + config.shutdownGraceMs;
        log.info("draining", {
          running: core.scheduler.reservations(),
          graceMs: config.shutdownGraceMs,
        });
        const local = hooks.onDrain?.(deadline) ?? Promise.resolve();
        yield* Effect.promise(() =>
          Promise.race([local, new Promise((r) => setTimeout(r, deadline - Date.now()).unref())]),
        );
        while (core.scheduler.reservations() > 0 && Date.now() < deadline) {
          yield* Effect.sleep("50 millis");
        }
        yield* core.settled.pipe(Effect.timeout(Math.max(0, deadline - Date.now())), Effect.ignore);
        log.info("stopped", { stillRunning: core.scheduler.reservations() });
      }),
    );
    log.info("listening", {
      http: httpAddress,
      grpc: grpc.address,
      store: config.databaseUrl ? "postgres" : config.dataDir,
    });
    return { core, grpcAddress: grpc.address, httpAddress, ready, storeLost };
  });

/**
 * Runs until `stop` resolves (a signal), then closes everything in order. A store lost for good
 * (storeLost) stops it too, with exit code 3: another supervisor runs on the store now.
 */
export const runSupervisor = async (
  config: HodeiConfig,
  log: Logger,
  stop: Promise<void>,
  http?: HttpStarter,
  onStarted?: (s: RunningSupervisor) => void | Promise<void>,
  pipelines: ReadonlyArray<Pipeline> = [],
  hooks: ShutdownHooks = {},
): Promise<void> => {
  const scope = Effect.runSync(Scope.make());
  try {
    const started = await Effect.runPromiseExit(
      Scope.extend(startSupervisor(config, log, http, pipelines, hooks), scope),
    );
    // The failure itself, not Effect's wrapper: the CLI reads an `exitCode` from it.
    if (Exit.isFailure(started)) throw Cause.squash(started.cause);
    const running = started.value;
    await onStarted?.(running);
    const lost = await Promise.race([stop.then(() => undefined), running.storeLost]);
    if (lost !== undefined) process.exitCode = 3;
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
  }
};
