/**
 * The HTTP API over node:http: `makeHttpApi` builds the request listener for a core (the
 * handlers of handlers/, the router compiled from definition.ts, the steps of listener.ts),
 * `serveHttp` binds it to an address for the life of a Scope, `layer` provides that as a
 * service for the composition root.
 *
 * Closing the Scope stops accepting jobs, ends the log streams (each with its `end` event),
 * stops listening, lets requests in flight finish for at most `closeGraceMs`, then cuts the
 * connections still open.
 */
import { Context, Data, Effect, Layer, type Scope } from "effect";
import { isLoopbackHost } from "../domain/address.ts";
import type { StoreError } from "../persistence/errors.ts";
import { loadKeyring, type Keyring } from "./auth/keyring.ts";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { attachMetrics } from "../metrics/live.ts";
import type { SupervisorCore } from "../supervisor/core.ts";
import { makeSubmitCoalescer } from "./coalesce.ts";
import { hodeiApi, openApiDocument } from "./definition.ts";
import type { ApiContext } from "./handlers/context.ts";
import { jobHandlers } from "./handlers/jobs.ts";
import { pipelineHandlers } from "./handlers/pipelines.ts";
import { scheduleHandlers } from "./handlers/schedules.ts";
import { systemHandlers } from "./handlers/system.ts";
import { tokenHandlers } from "./handlers/tokens.ts";
import { workerHandlers } from "./handlers/workers.ts";
import { queueHandlers } from "./handlers/queues.ts";
import { makeListener } from "./listener.ts";
import { makeLogStreams } from "./log-stream.ts";
import { makeEventHub } from "./events/event-hub.ts";
import { dashboardHandlers } from "./handlers/dashboard.ts";
import { makeStaticFiles } from "./ui/static-files.ts";
import { makeUiLinks } from "./ui/links.ts";
import { normalizeApiOptions, type ApiOptions } from "./options.ts";
import { compileRouter, type Handlers, type Route } from "./router.ts";

export interface HttpApi {
  /** The node:http request listener. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** For `Expect: 100-continue`: refuses an oversized body before the client sends it. */
  readonly checkContinue: (req: IncomingMessage, res: ServerResponse) => void;
  readonly routes: ReadonlyArray<Route>;
  readonly openApi: ReturnType<typeof openApiDocument>;
  readonly metrics: ApiContext["metrics"];
  /** Shutdown, first step: submits answer 503 and /ready turns 503; reads go on. */
  readonly stopAccepting: () => void;
  /** Open log and event streams. */
  readonly streams: () => number;
  /** Ends every log stream (each gets its `end` event). */
  readonly closeStreams: () => void;
  readonly keyring: Keyring;
}

/** `loopback`: the API is served on loopback only, so a non-loopback `Host` is refused. */
export const makeHttpApi = (
  core: SupervisorCore,
  options: ApiOptions,
  served: { readonly loopback: boolean } = { loopback: false },
): Effect.Effect<HttpApi, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const normalized = normalizeApiOptions(options);
    const keyring = yield* loadKeyring(core.credentials, {
      adminToken: normalized.adminToken,
    });
    const metrics = options.metrics ?? (yield* attachMetrics(core));
    const logs = yield* makeLogStreams(core, normalized.sseHeartbeatMs);
    const events = yield* makeEventHub(core, {
      heartbeatMs: normalized.sseHeartbeatMs,
      overviewMs: normalized.overviewMs,
    });
    let accepting = true;
    const ctx: ApiContext = {
      core,
      metrics,
      logs,
      events,
      uiLinks: makeUiLinks(),
      options: normalized,
      keyring,
      accepting: () => accepting,
      startedAt: Date.now(),
      submit: makeSubmitCoalescer(core),
    };
    const handlers: Handlers = {
      ...jobHandlers(ctx),
      ...workerHandlers(ctx),
      ...queueHandlers(ctx),
      ...systemHandlers(ctx),
      ...pipelineHandlers(ctx),
      ...scheduleHandlers(ctx),
      ...tokenHandlers(ctx),
      ...dashboardHandlers(ctx),
    };
    const router = compileRouter(hodeiApi);
    const { listener, checkContinue } = makeListener({
      router,
      handlers,
      metrics,
      options: normalized,
      keyring,
      loopback: served.loopback,
      ui: normalized.uiDir === null ? undefined : makeStaticFiles(normalized.uiDir),
    });

    return {
      listener,
      checkContinue,
      routes: router.routes,
      openApi: openApiDocument(),
      metrics,
      stopAccepting: () => {
        accepting = false;
      },
      streams: () => logs.open() + events.open(),
      closeStreams: () => {
        logs.closeAll();
        events.closeAll();
      },
      keyring,
    };
  });

export interface ServeOptions extends ApiOptions {
  readonly core: SupervisorCore;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** How long closing waits for requests in flight before cutting connections. Default 10 s. */
  readonly closeGraceMs?: number;
}

export interface HttpServing {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, for clients and for the start-up message. */
  readonly url: string;
  readonly api: HttpApi;
}

export class HttpListenError extends Data.TaggedError("HttpListenError")<{
  readonly host: string;
  readonly port: number;
  readonly cause: unknown;
}> {
  override get message(): string {
    const why = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return `cannot serve HTTP on ${this.host}:${this.port}: ${why}`;
  }
}

/** Serves the API until the Scope closes. */
export const serveHttp = (
  options: ServeOptions,
): Effect.Effect<HttpServing, HttpListenError | StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 8080;
    const grace = options.closeGraceMs ?? 10_000;
    const api = yield* makeHttpApi(options.core, options, { loopback: isLoopbackHost(host) });
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof createServer>, HttpListenError>((resume) => {
        const server = createServer({ keepAliveTimeout: 5_000 }, api.listener);
        server.on("checkContinue", api.checkContinue);
        const onError = (cause: unknown) =>
          resume(Effect.fail(new HttpListenError({ host, port, cause })));
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          resume(Effect.succeed(server));
        });
      }),
      (server) =>
        Effect.async<void>((resume) => {
          api.stopAccepting();
          api.closeStreams();
          const cut = setTimeout(() => server.closeAllConnections(), grace);
          server.close(() => {
            clearTimeout(cut);
            resume(Effect.void);
          });
          server.closeIdleConnections();
        }),
    );
    const address = server.address() as AddressInfo;
    const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return {
      host: address.address,
      port: address.port,
      url: `http://${shown}:${address.port}`,
      api,
    };
  });

/** The serving API as a service, for the composition root's Layer wiring. */
export class HttpApiServer extends Context.Tag("hodei/HttpApiServer")<
  HttpApiServer,
  HttpServing
>() {}

export const layer = (
  options: ServeOptions,
): Layer.Layer<HttpApiServer, HttpListenError | StoreError> =>
  Layer.scoped(HttpApiServer, serveHttp(options));
