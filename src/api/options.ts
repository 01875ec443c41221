/**
 * The API's options, normalised once: defaults filled in, bad values refused with a message
 * naming the option and what it accepts.
 *
 * - `auth.token`: when set, every route but `/health` and `/ready` needs
 *   `Authorization: Bearer <token>` (401 otherwise). `/ready` stays public so that probes and
 *   load balancers need no secret; it tells only which checks pass.
 * - `bodyLimitBytes` (default 1 MiB): larger bodies get 413, before any parsing.
 * - `readiness`: the process's checks (store open, recovery done, HWP listening), shown by
 *   `/ready`; ready when every one is true and the API still accepts jobs. Without it, the
 *   core's existence is the check: a core is only built once its store is open and recovered.
 * - `metrics`: the registry to serve and record HTTP metrics in; the API attaches its own to
 *   the core when none is given.
 * - `sseHeartbeatMs` (default 15 s): a comment line on idle log streams, so proxies keep them.
 * - `onError`: unexpected failures (500s), for the supervisor's log; stderr by default.
 */
import type { HodeiMetrics } from "../metrics/metrics.ts";

export type Checks = Readonly<Record<string, boolean>>;

export interface ApiOptions {
  readonly auth?: { readonly token: string } | undefined;
  readonly bodyLimitBytes?: number;
  readonly readiness?: () => Checks | Promise<Checks>;
  readonly metrics?: HodeiMetrics;
  readonly sseHeartbeatMs?: number;
  readonly onError?: (error: unknown, route: string) => void;
}

export interface NormalizedApiOptions {
  readonly token: string | undefined;
  readonly bodyLimitBytes: number;
  /** Past this much discarded body, the client is cut off instead of waited for. */
  readonly discardLimitBytes: number;
  readonly readiness: () => Checks | Promise<Checks>;
  readonly sseHeartbeatMs: number;
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

export const normalizeApiOptions = (options: ApiOptions = {}): NormalizedApiOptions => {
  const token = options.auth?.token;
  if (token !== undefined && (token.length === 0 || /\s/.test(token))) {
    throw new RangeError("api option auth.token: expected a non-empty token without spaces");
  }
  const bodyLimitBytes = int(
    "bodyLimitBytes",
    options.bodyLimitBytes,
    defaultBodyLimitBytes,
    1,
    2 ** 30,
  );
  return {
    token,
    bodyLimitBytes,
    discardLimitBytes: Math.max(16 * 1024 * 1024, 4 * bodyLimitBytes),
    readiness: options.readiness ?? (() => ({ core: true })),
    sseHeartbeatMs: int("sseHeartbeatMs", options.sseHeartbeatMs, 15_000, 10, 3_600_000),
    onError:
      options.onError ??
      ((error, route) => console.error(`hodei api: ${route}: unexpected error`, error)),
  };
};
