/**
 * The API's options, normalized once: defaults filled in, bad values refused with a message
 * naming the option and what it accepts.
 *
 * - `auth` (required: there is no unauthenticated default):
 *   - `{ token? }`: every route but `/health` and `/ready` needs `Authorization: Bearer <t>`
 *     with a token of the route's role (401 without one, 403 with a weaker one). Tokens are the
 *     store's (`hodei tokens`); `token`, when given, is one more admin token from the
 *     configuration (`HODEI_API_TOKEN`).
 *   - `{ insecureNoAuth: true }`: no token is asked for. Only for an API on loopback: the
 *     supervisor refuses anything else (config.ts), and `Host` is checked.
 *   `/ready` stays public so that probes and load balancers need no secret; it tells only
 *   which checks pass.
 * - `publicMetrics` (default false): `/api/v1/metrics` without a token, for a scraper.
 * - `allowedOrigins`: browser origins allowed to call the API (CORS); others are refused.
 * - `bodyLimitBytes` (default 1 MiB): larger bodies get 413, before any parsing.
 * - `readiness`: the process's checks (store open, recovery done, HWP listening), shown by
 *   `/ready`; ready when every one is true and the API still accepts jobs. Without it, the
 *   core's existence is the check: a core is only built once its store is open and recovered.
 * - `metrics`: the registry to serve and record HTTP metrics in; the API attaches its own to
 *   the core when none is given.
 * - `sseHeartbeatMs` (default 15 s): a comment line on idle log streams, so proxies keep them.
 * - `uiDir`: where the built dashboard is (default `dist/ui` in the package); `null` serves none.
 * - `overviewMs` (default 1 s): how often the event stream looks for a changed overview.
 * - `onError`: unexpected failures (500s), for the supervisor's log; stderr by default.
 */
import { join } from "node:path";
import type { HodeiMetrics } from "../metrics/metrics.ts";
import { packageRoot } from "../package-info.ts";

export type Checks = Readonly<Record<string, boolean>>;

export type ApiAuth = { readonly token?: string | undefined } | { readonly insecureNoAuth: true };

export interface ApiOptions {
  readonly auth: ApiAuth;
  readonly publicMetrics?: boolean;
  readonly allowedOrigins?: ReadonlyArray<string>;
  readonly bodyLimitBytes?: number;
  readonly readiness?: () => Checks | Promise<Checks>;
  readonly metrics?: HodeiMetrics;
  readonly sseHeartbeatMs?: number;
  readonly uiDir?: string | null;
  readonly overviewMs?: number;
  readonly onError?: (error: unknown, route: string) => void;
}

export interface NormalizedApiOptions {
  /** False: `insecureNoAuth`. */
  readonly authRequired: boolean;
  /** The configured admin token, if any. */
  readonly adminToken: string | undefined;
  readonly publicMetrics: boolean;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly bodyLimitBytes: number;
  /** Past this much discarded body, the client is cut off instead of waited for. */
  readonly discardLimitBytes: number;
  readonly readiness: () => Checks | Promise<Checks>;
  readonly sseHeartbeatMs: number;
  readonly uiDir: string | null;
  readonly overviewMs: number;
  readonly onError: (error: unknown, route: string) => void;
}

export const defaultBodyLimitBytes = 1024 * 1024;

const int = (
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
) => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `api option ${name}: expected an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
};

const origin = /^https?:\/\/[^/\s]+$/;

export const normalizeApiOptions = (options: ApiOptions): NormalizedApiOptions => {
  const auth = options.auth;
  const token = "token" in auth ? auth.token : undefined;
  if (token !== undefined && (token.length === 0 || /\s/.test(token))) {
    throw new RangeError("api option auth.token: expected a non-empty token without spaces");
  }
  for (const o of options.allowedOrigins ?? []) {
    if (!origin.test(o)) {
      throw new RangeError(
        `api option allowedOrigins: expected scheme://host[:port], got ${JSON.stringify(o)}`,
      );
    }
  }
  const bodyLimitBytes = int(
    "bodyLimitBytes",
    options.bodyLimitBytes,
    defaultBodyLimitBytes,
    1,
    2 ** 30,
  );
  return {
    authRequired: !("insecureNoAuth" in auth && auth.insecureNoAuth),
    adminToken: token,
    publicMetrics: options.publicMetrics ?? false,
    allowedOrigins: new Set(options.allowedOrigins ?? []),
    bodyLimitBytes,
    discardLimitBytes: Math.max(16 * 1024 * 1024, 4 * bodyLimitBytes),
    readiness: options.readiness ?? (() => ({ core: true })),
    sseHeartbeatMs: int("sseHeartbeatMs", options.sseHeartbeatMs, 15_000, 10, 3_600_000),
    uiDir: options.uiDir === undefined ? join(packageRoot, "dist", "ui") : options.uiDir,
    overviewMs: int("overviewMs", options.overviewMs, 1_000, 10, 3_600_000),
    onError:
      options.onError ??
      ((error, route) => console.error(`hodei api: ${route}: unexpected error`, error)),
  };
};
