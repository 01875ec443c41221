/**
 * The HTTP side of a supervisor process (`hodei serve`, `createSupervisor`): the API on the
 * configured address, protected as auth/bootstrap.ts decides, with the process's readiness
 * checks.
 */
import { Effect } from "effect";
import { makeLogger, type Level } from "../supervisor/logger.ts";
import type { HttpStarter } from "../supervisor/process.ts";
import { prepareApiAuth } from "./auth/bootstrap.ts";
import { serveHttp } from "./server.ts";

export const httpStarter: HttpStarter = (core, config, readiness) =>
  Effect.gen(function* () {
    const auth = yield* prepareApiAuth(
      core.credentials,
      config,
      makeLogger(config.logLevel as Level),
    );
    const i = config.http.lastIndexOf(":");
    const s = yield* serveHttp({
      core,
      host: config.http.slice(0, i).replace(/^\[|\]$/g, ""),
      port: Number(config.http.slice(i + 1)),
      auth,
      publicMetrics: config.metricsPublic,
      ...(config.apiAllowedOrigins !== undefined
        ? { allowedOrigins: config.apiAllowedOrigins.split(",") }
        : {}),
      readiness: () => readiness().checks,
    });
    return { address: `${s.host}:${s.port}`, stopAccepting: s.api.stopAccepting };
  });
