/**
 * The checks a request passes before its route's token is looked at, each answering the
 * common error body when it refuses — what keeps a web page the operator happens to visit
 * from driving a supervisor on the same machine:
 *
 * - `Host` (421 misdirected_request), on loopback binds only: a name that is not loopback means
 *   a browser was pointed here by DNS rebinding. A missing `Host` (not a browser) passes.
 * - `Origin` (403 origin_refused): a browser's cross-origin request is refused unless its
 *   origin is configured (`apiAllowedOrigins`); same-origin requests pass. An allowed origin
 *   gets the CORS headers, and its preflight (`OPTIONS`) is answered here.
 * - `Content-Type` (415 unsupported_media_type), on writes: `application/json`, or no body at
 *   all. HTML forms and `text/plain` posts are what a page can send without asking CORS.
 */
import type { IncomingMessage } from "node:http";
import { hostOf, isLoopbackHost } from "../../domain/address.ts";
import { ApiFailure } from "../errors.ts";

export interface GuardOptions {
  /** The API listens on loopback only: check `Host`. */
  readonly loopback: boolean;
  /** Origins (`https://ops.example.com`) whose browsers may call the API. */
  readonly allowedOrigins: ReadonlySet<string>;
}

export const hostRefusal = (req: IncomingMessage, o: GuardOptions): ApiFailure | undefined => {
  const host = req.headers.host;
  if (!o.loopback || host === undefined || isLoopbackHost(hostOf(host))) return undefined;
  return new ApiFailure(
    421,
    "misdirected_request",
    "this API listens on loopback and answers only loopback names (localhost, 127.0.0.1, [::1])",
  );
};

const sameOrigin = (origin: string, host: string | undefined): boolean => {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
};

export type OriginVerdict =
  | { readonly ok: true; readonly cors: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly failure: ApiFailure };

const allowed = { ok: true, cors: {} } as const;

export const originVerdict = (req: IncomingMessage, o: GuardOptions): OriginVerdict => {
  const origin = req.headers.origin;
  if (origin === undefined) return allowed;
  if (o.allowedOrigins.has(origin)) {
    return { ok: true, cors: { "access-control-allow-origin": origin, vary: "origin" } };
  }
  if (sameOrigin(origin, req.headers.host)) return allowed;
  return {
    ok: false,
    failure: new ApiFailure(
      403,
      "origin_refused",
      `cross-origin request from ${origin.slice(0, 100)} refused: allow it with apiAllowedOrigins (HODEI_API_ALLOWED_ORIGINS)`,
    ),
  };
};

/** The answer to an allowed origin's preflight. */
export const preflightHeaders: Readonly<Record<string, string>> = {
  "access-control-allow-methods": "GET, POST, PUT",
  "access-control-allow-headers": "authorization, content-type, idempotency-key",
  "access-control-max-age": "600",
};

const json = /^application\/json[ \t]*(;.*)?$/i;

const hasBody = (req: IncomingMessage): boolean =>
  req.headers["transfer-encoding"] !== undefined ||
  (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");

export const contentTypeRefusal = (req: IncomingMessage): ApiFailure | undefined => {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return undefined;
  const type = req.headers["content-type"];
  if (type === undefined ? !hasBody(req) : json.test(type)) return undefined;
  return new ApiFailure(
    415,
    "unsupported_media_type",
    "a request with a body must send Content-Type: application/json",
    null,
    { accept: "application/json" },
  );
};
