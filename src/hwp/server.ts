/**
 * The supervisor's HWP server: a gRPC server speaking `proto/hwp.proto`, the `WorkerGateway`
 * the core pushes through, and a clean shutdown.
 *
 * Shutdown ends every session and log stream with UNAVAILABLE (agents reconnect to whoever
 * serves next; their unacknowledged results and lines are re-sent), then lets grpc-js finish
 * in-flight unary calls for up to `shutdownGraceMs` before cutting them, so the process is left
 * without open handles.
 */
import { readFileSync } from "node:fs";
import {
  Server,
  ServerCredentials,
  status,
  type ServerDuplexStream,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { Effect, type Scope } from "effect";
import type { WorkerGateway } from "../supervisor/gateway.ts";
import { Admission } from "./admission.ts";
import { makeAuthenticator } from "./auth.ts";
import { HeartbeatBatch } from "./heartbeats.ts";
import { handleStreamLogs } from "./log-call.ts";
import { memorySecrets, WorkerIdentities } from "./identity.ts";
import { checkListen, HwpListenError } from "./listen-error.ts";
import { LogProgress } from "./log-progress.ts";
import {
  defaultHwpAddress,
  normalizeHwpOptions,
  type HwpServerOptions,
  type Pem,
} from "./options.ts";
import { serviceError } from "./refusal.ts";
import { handleRegister } from "./register-call.ts";
import { handleSession } from "./session-call.ts";
import { servedService } from "./server-codec.ts";
import { SessionRegistry } from "./sessions.ts";

export interface HwpServer {
  /** The bound port (the ephemeral one when the address asked for port 0). */
  readonly port: number;
  /** `host:port` with the bound port, for agents to dial. */
  readonly address: string;
  readonly gateway: WorkerGateway;
  readonly sessionCount: () => number;
  readonly close: () => Promise<void>;
}

const pem = (p: Pem): Buffer => (typeof p === "string" ? Buffer.from(p) : p);

/** Streaming calls still open, so shutdown can end them instead of waiting on the agents. */
const tracked = <T extends ServerDuplexStream<unknown, never>>(
  live: Set<T>,
  handler: (call: T) => Promise<void>,
) => {
  return (call: T): void => {
    live.add(call);
    const forget = () => live.delete(call);
    for (const event of ["close", "finish", "cancelled", "error"]) call.once(event, forget);
    void handler(call);
  };
};

export const makeHwpServer = async (options: HwpServerOptions): Promise<HwpServer> => {
  const o = normalizeHwpOptions(options);
  const authenticate = makeAuthenticator(o.auth);
  const registry = new SessionRegistry(o.maxSessions, o.maxMessageBytes);
  const logProgress = new LogProgress();
  const heartbeats = new HeartbeatBatch(o.inbound);
  const identities = new WorkerIdentities(o.secrets ?? memorySecrets());
  const admission = new Admission(
    o.maxWorkers,
    () => registry.registeredCount,
    (workerId) => {
      if (registry.current(workerId) !== undefined) return;
      registry.forget(workerId);
      void identities.forget(workerId);
      void Effect.runPromise(o.inbound.forget(workerId)).catch(() => {});
    },
  );
  const deps = {
    inbound: o.inbound,
    registry,
    authenticate,
    logProgress,
    heartbeats,
    identities,
    admission,
  };
  const live = new Set<ServerDuplexStream<unknown, never>>();

  const server = new Server({
    "grpc.max_receive_message_length": o.maxMessageBytes,
    "grpc.max_send_message_length": o.maxMessageBytes,
    "grpc.keepalive_time_ms": o.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": o.keepaliveTimeoutMs,
    "grpc.keepalive_permit_without_calls": 1,
    // Nothing reads channelz; left on, it stamps every message of every call.
    "grpc.enable_channelz": 0,
  });
  const implementation: UntypedServiceImplementation = {
    RegisterWorker: handleRegister(deps),
    Session: tracked(
      live,
      handleSession({
        ...deps,
        helloTimeoutMs: o.helloTimeoutMs,
        // Frames are sized by string length: a quarter of the limit leaves room for UTF-8.
        maxFrameBytes: Math.floor(o.maxMessageBytes / 4),
      }),
    ),
    StreamLogs: tracked(live, handleStreamLogs(deps)),
  };
  server.addService(servedService(), implementation);

  const credentials =
    o.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(
          o.tls.ca === undefined ? null : pem(o.tls.ca),
          [{ cert_chain: pem(o.tls.cert), private_key: pem(o.tls.key) }],
          o.tls.ca !== undefined,
        );
  await checkListen(o.address);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(o.address, credentials, (error, bound) =>
      error === null
        ? resolve(bound)
        : reject(new HwpListenError({ address: o.address, reason: error.message })),
    ),
  );
  const host = o.address.slice(0, o.address.lastIndexOf(":"));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const shuttingDown = { code: status.UNAVAILABLE, message: "supervisor shutting down" };
      admission.close();
      registry.closeAll(shuttingDown);
      for (const call of live) {
        if (!call.writableEnded) call.emit("error", serviceError(shuttingDown));
      }
      live.clear();
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, o.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return closing;
  };

  return {
    port,
    address: `${host}:${port}`,
    gateway: registry.gateway,
    sessionCount: () => registry.size,
    close,
  };
};

/** The server as a scoped resource: closed when the scope closes. */
export const hwpServer = (
  options: HwpServerOptions,
): Effect.Effect<HwpServer, HwpListenError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => makeHwpServer(options),
      catch: (e) =>
        e instanceof HwpListenError
          ? e
          : new HwpListenError({
              address: options.address ?? defaultHwpAddress,
              reason: String(e),
            }),
    }),
    (s) => Effect.promise(() => s.close()),
  );

/** Reads PEM files for `tls` (the CLI's flags name files). */
export const readTlsFiles = (files: { cert: string; key: string; ca?: string }) => ({
  cert: readFileSync(files.cert),
  key: readFileSync(files.key),
  ...(files.ca === undefined ? {} : { ca: readFileSync(files.ca) }),
});
