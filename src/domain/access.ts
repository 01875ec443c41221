/**
 * Who may do what, as data: the roles an API token carries, and the records of the credentials
 * a supervisor issues (API tokens, worker secrets). Only a credential's SHA-256 digest is ever
 * kept; the secret itself is shown once, to whoever asked for it.
 *
 * Glossary:
 * - role: `read` (list, get, logs, metrics), `submit` (read, plus jobs and runs), `admin`
 *   (everything: cancel, drain, pipelines, tokens). Each includes the ones before it.
 * - API token: `hodei_<id>_<secret>`: the id names the record (and is safe to show), the
 *   secret proves it. A record may expire (`expiresAt`) and may be revoked (`revokedAt`).
 * - worker secret: issued by RegisterWorker to a new worker; the agent presents it (with its
 *   worker id) on every later call, which is how a worker proves it is itself, across
 *   reconnects and supervisor restarts.
 */
import { Schema } from "effect";
import { WorkerId } from "./ids.ts";
import { literals, Name, patternString, Timestamp } from "./primitives.ts";

export const roles = ["read", "submit", "admin"] as const;

export const Role = literals(...roles).annotations({
  identifier: "Role",
  description: "read < submit < admin: each role may do what the ones before it may",
});
export type Role = typeof Role.Type;

/** Whether a token of role `have` may use a route that needs `need`. */
export const roleAllows = (have: Role, need: Role): boolean =>
  roles.indexOf(have) >= roles.indexOf(need);

export const TokenId = patternString(/^[0-9a-f]{16}$/, 16, "a token id: 16 hex digits");
export type TokenId = typeof TokenId.Type;

/** A SHA-256 digest, as lowercase hex. */
export const Digest = patternString(/^[0-9a-f]{64}$/, 64, "a SHA-256 digest as hex");

export const ApiTokenRecord = Schema.Struct({
  id: TokenId,
  /** For people: who or what the token is for. */
  name: Name,
  role: Role,
  hash: Digest,
  createdAt: Timestamp,
  expiresAt: Schema.optionalWith(Timestamp, { exact: true }),
  revokedAt: Schema.optionalWith(Timestamp, { exact: true }),
}).annotations({ identifier: "ApiTokenRecord", description: "an issued API token, hashed" });
export type ApiTokenRecord = typeof ApiTokenRecord.Type;

const { hash: _, ...viewFields } = ApiTokenRecord.fields;

/** A token record as the API shows it: everything but the digest. */
export const TokenView = Schema.Struct(viewFields).annotations({
  identifier: "Token",
  description: "an API token (never its secret)",
});
export type TokenView = typeof TokenView.Type;

/** Usable now: neither revoked nor expired. */
export const isActive = (t: ApiTokenRecord, now: number): boolean =>
  t.revokedAt === undefined && (t.expiresAt === undefined || t.expiresAt > now);

export const WorkerSecretRecord = Schema.Struct({
  workerId: WorkerId,
  hash: Digest,
  issuedAt: Timestamp,
}).annotations({ identifier: "WorkerSecretRecord", description: "a worker's secret, hashed" });
export type WorkerSecretRecord = typeof WorkerSecretRecord.Type;
