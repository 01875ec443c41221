/**
 * Who may speak HWP: every call (register, session, logs) carries `authorization: Bearer <t>`,
 * where `t` is either the shared static token (`HODEI_WORKER_TOKEN`) or an HS256 JWT whose `role`
 * claim is `worker` (a string, or an array containing it).
 *
 * The two refusals mean different things to an operator, so they are kept apart:
 * - UNAUTHENTICATED: no token, a wrong one, a JWT with a bad signature or expired. The agent is
 *   not who it claims to be.
 * - PERMISSION_DENIED: a valid JWT for someone who is not a worker (an API client's token, say).
 *
 * The static token is compared through SHA-256 digests with `timingSafeEqual`, so neither its
 * content nor its length leaks through response timing.
 *
 * JWTs: HS256 only, with a secret of at least 32 bytes (RFC 7518 §3.2; refused at start
 * otherwise), and an `exp` — a token without one would be good forever — no further than
 * `jwtMaxLifetimeMs` (30 days by default) from its `iat` (or from now, without `iat`).
 * The `Bearer` scheme is case-insensitive.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { status, type Metadata } from "@grpc/grpc-js";
import { errors as joseErrors, jwtVerify } from "jose";

export interface AuthOptions {
  /** The static worker token (`HODEI_WORKER_TOKEN`). */
  readonly token?: string;
  /** Secret for HS256 JWTs (at least 32 bytes); a valid token must carry `role: "worker"`. */
  readonly jwtSecret?: string;
  /** The longest a JWT may be valid for (`exp` − `iat`). Default 30 days. */
  readonly jwtMaxLifetimeMs?: number;
}

export const minJwtSecretBytes = 32;
export const defaultJwtMaxLifetimeMs = 30 * 86_400_000;

export type AuthVerdict =
  | { readonly ok: true; readonly subject?: string }
  | {
      readonly ok: false;
      readonly code: status.UNAUTHENTICATED | status.PERMISSION_DENIED;
      readonly message: string;
    };

export type Authenticator = (metadata: Metadata) => Promise<AuthVerdict>;

export const workerRole = "worker";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

const unauthenticated = (message: string): AuthVerdict => ({
  ok: false,
  code: status.UNAUTHENTICATED,
  message,
});

const hasWorkerRole = (role: unknown): boolean =>
  role === workerRole || (Array.isArray(role) && role.includes(workerRole));

/** Throws when neither a token nor a JWT secret is configured: an open agent port is a mistake. */
export const makeAuthenticator = (options: AuthOptions): Authenticator => {
  const { token, jwtSecret } = options;
  if ((token === undefined || token === "") && (jwtSecret === undefined || jwtSecret === "")) {
    throw new Error(
      "HWP auth: set a worker token (HODEI_WORKER_TOKEN) or a JWT secret; agents must authenticate",
    );
  }
  const tokenDigest = token ? digest(token) : undefined;
  const key = jwtSecret ? new TextEncoder().encode(jwtSecret) : undefined;
  if (key !== undefined && key.length < minJwtSecretBytes) {
    throw new Error(
      `HWP auth: the JWT secret (HODEI_JWT_SECRET) has ${key.length} bytes; HS256 needs at least ${minJwtSecretBytes}`,
    );
  }
  const maxLifetimeS = Math.floor((options.jwtMaxLifetimeMs ?? defaultJwtMaxLifetimeMs) / 1000);

  return async (metadata) => {
    const [header] = metadata.get("authorization");
    if (typeof header !== "string") return unauthenticated("missing authorization metadata");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = match?.[1];
    if (presented === undefined) return unauthenticated("authorization must be 'Bearer <token>'");

    if (tokenDigest !== undefined && timingSafeEqual(digest(presented), tokenDigest)) {
      return { ok: true };
    }
    if (key === undefined || presented.split(".").length !== 3) {
      return unauthenticated("invalid worker token");
    }
    try {
      const { payload } = await jwtVerify(presented, key, {
        algorithms: ["HS256"],
        requiredClaims: ["exp"],
      });
      const from = payload.iat ?? Math.floor(Date.now() / 1000);
      if ((payload.exp ?? Infinity) - from > maxLifetimeS) {
        return unauthenticated(
          `invalid worker JWT (valid for longer than the maximum of ${maxLifetimeS} s)`,
        );
      }
      if (!hasWorkerRole(payload["role"])) {
        return {
          ok: false,
          code: status.PERMISSION_DENIED,
          message: `the token's role is not '${workerRole}'`,
        };
      }
      return payload.sub === undefined ? { ok: true } : { ok: true, subject: payload.sub };
    } catch (e) {
      const reason = e instanceof joseErrors.JOSEError ? e.code : "unreadable token";
      return unauthenticated(`invalid worker JWT (${reason})`);
    }
  };
};
