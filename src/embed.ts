/**
 * `createSupervisor`: the whole supervisor inside an application — the same composition as
 * `hodei serve` (store, core, worker protocol, HTTP API), with the application's pipelines and
 * direct calls to start runs and wait for them. Agents connect to `grpcAddress` with
 * `workerToken`; `createWorker` in the same program serves handler jobs.
 *
 * Settings are `hodei serve`'s (see src/config.ts), given as text the way flags are, and only
 * these: the environment is not read, so an embedding behaves the same wherever it runs. The
 * defaults differ in one way: both servers listen on ephemeral loopback ports. The HTTP API
 * asks for tokens as `hodei serve`'s does: `apiToken` sets an admin token; without one, the
 * first start writes one to `<dataDir>/api-token`.
 */
import { randomBytes } from "node:crypto";
import { Effect, Either, Exit, Scope } from "effect";
import type { SignalEvent } from "../actors/pipeline-messages.ts";
import { httpStarter } from "./api/starter.ts";
import { loadConfig, type HodeiConfig } from "./config.ts";
import type { CreateResult } from "./persistence/index.ts";
import type { PipelineRun } from "./persistence/pipelines.ts";
import type { Pipeline } from "./pipeline/pipeline.ts";
import type { SupervisorCore } from "./supervisor/core.ts";
import { makeLogger, type Level } from "./supervisor/logger.ts";
import { startSupervisor } from "./supervisor/process.ts";

export interface CreateSupervisorOptions {
  readonly pipelines?: ReadonlyArray<Pipeline>;
  /** `hodei serve` settings by name, as text: `{ dataDir: "./.hodei", http: "127.0.0.1:8080" }`. */
  readonly settings?: Partial<Record<keyof HodeiConfig, string>>;
  /** Serve the HTTP API (default true). */
  readonly http?: boolean;
}

export interface EmbeddedSupervisor {
  readonly core: SupervisorCore;
  /** host:port of the HTTP API, or null without one. */
  readonly httpAddress: string | null;
  /** host:port agents connect to. */
  readonly grpcAddress: string;
  /** The token agents present (generated when the settings give none). */
  readonly workerToken: string;
  readonly submit: (spec: unknown) => Promise<CreateResult>;
  readonly startRun: (pipeline: string, input?: unknown) => Promise<PipelineRun>;
  readonly getRun: (runId: string) => Promise<PipelineRun>;
  /** Resolves with the run once it has finished, whatever its outcome. */
  readonly waitForRun: (runId: string) => Promise<PipelineRun>;
  readonly signal: (runId: string, event: SignalEvent) => Promise<void>;
  readonly cancelRun: (runId: string) => Promise<void>;
  /** Graceful: stop accepting, let running jobs finish (within the grace period), flush. */
  readonly close: () => Promise<void>;
}

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromise(
    effect.pipe(Effect.mapError((e) => (e instanceof Error ? e : new Error(String(e))))),
  );

export const createSupervisor = async (
  options: CreateSupervisorOptions = {},
): Promise<EmbeddedSupervisor> => {
  const loaded = loadConfig(
    { http: "127.0.0.1:0", grpc: "127.0.0.1:0", logLevel: "warn", ...options.settings },
    {},
  );
  if (Either.isLeft(loaded)) throw loaded.left;
  const workerToken = loaded.right.workerToken ?? randomBytes(24).toString("base64url");
  const config: HodeiConfig = { ...loaded.right, workerToken };
  const scope = Effect.runSync(Scope.make());
  const log = makeLogger(config.logLevel as Level);
  const started = startSupervisor(
    config,
    log,
    options.http === false ? undefined : httpStarter,
    options.pipelines ?? [],
  );
  const running = await Effect.runPromise(Scope.extend(started, scope)).catch(async (e) => {
    await Effect.runPromise(Scope.close(scope, Exit.void));
    throw e;
  });
  const { core } = running;
  return {
    core,
    httpAddress: running.httpAddress,
    grpcAddress: running.grpcAddress,
    workerToken,
    submit: (spec) => run(core.submit(spec)),
    startRun: (pipeline, input = null) => run(core.pipelines.start(pipeline, input)),
    getRun: (runId) => run(core.pipelines.get(runId)),
    waitForRun: (runId) => run(core.pipelines.finished(runId)),
    signal: (runId, event) => run(core.pipelines.signal(runId, event)),
    cancelRun: (runId) => run(core.pipelines.cancel(runId)),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void)),
  };
};
