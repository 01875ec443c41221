/**
 * The text of an API token and of the header that carries it.
 *
 * A token is `hodei_<id>_<secret>`: 16 hex digits naming its record, 64 hex digits (32 random
 * bytes) proving it. Only the secret's SHA-256 digest is stored. A plain digest is enough
 * because the secret is random and long — a slow password hash protects guessable secrets,
 * and costs every request a few milliseconds for nothing here.
 *
 * `Authorization: Bearer <token>`: the scheme is case-insensitive (RFC 9110), so `bearer` and
 * `BEARER` are the same; one token, no spaces inside it.
 */
import { randomBytes } from "node:crypto";
import { sha256Hex } from "../../domain/digest.ts";

export { sameDigest, sha256Hex } from "../../domain/digest.ts";

export const tokenPrefix = "hodei_";

/** The admin token of the first start, in the data directory (auth/bootstrap.ts). */
export const tokenFileName = "api-token";

const shape = /^hodei_([0-9a-f]{16})_([0-9a-f]{64})$/;

/** A new token: its id, its full text (shown once) and the digest to store. */
export const newToken = (): {
  readonly id: string;
  readonly text: string;
  readonly hash: string;
} => {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("hex");
  return { id, text: `${tokenPrefix}${id}_${secret}`, hash: sha256Hex(secret) };
};

/** The id and secret of a token's text, or undefined when it is not one of ours. */
export const parseToken = (
  text: string,
): { readonly id: string; readonly secret: string } | undefined => {
  const m = shape.exec(text);
  return m === null ? undefined : { id: m[1]!, secret: m[2]! };
};

const bearer = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export const bearerToken = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : bearer.exec(header)?.[1];
