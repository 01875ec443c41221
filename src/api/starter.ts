/**
 * The HTTP side of a supervisor process (`hodei serve`, `createSupervisor`): the API on the
 * configured address, with its token and the process's readiness checks.
 */
import { Effect } from "effect";
import { serveHttp } from "./server.ts";
import type { HttpStarter } from "../supervisor/process.ts";

export const httpStarter: HttpStarter = (core, config, readiness) => {
  const i = config.http.lastIndexOf(":");
  return serveHttp({
    core,
    host: config.http.slice(0, i).replace(/^\[|\]$/g, ""),
    port: Number(config.http.slice(i + 1)),
    ...(config.apiToken !== undefined ? { auth: { token: config.apiToken } } : {}),
    readiness: () => readiness().checks,
  }).pipe(
    Effect.map((s) => ({ address: `${s.host}:${s.port}`, stopAccepting: s.api.stopAccepting })),
  );
};
