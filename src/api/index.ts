/** The HTTP API: routes declared in definition.ts, served by server.ts. */
export { hodeiApi, openApiDocument, Authorization } from "./definition.ts";
export type { HodeiApi } from "./definition.ts";
export { ApiFailure, ErrorBody } from "./errors.ts";
export { defaultBodyLimitBytes, normalizeApiOptions } from "./options.ts";
export type { ApiOptions, Checks } from "./options.ts";
export type { Route } from "./router.ts";
export { HttpApiServer, HttpListenError, layer, makeHttpApi, serveHttp } from "./server.ts";
export type { HttpApi, HttpServing, ServeOptions } from "./server.ts";
