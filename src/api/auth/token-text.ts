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
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const tokenPrefix = "hodei_";

/** The admin token of the first start, in the data directory (auth/bootstrap.ts). */
export const tokenFileName = "api-token";

const shape = /^hodei_([0-9a-f]{16})_([0-9a-f]{64})$/;

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

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

/** Digests compared in constant time (both are SHA-256, so of the same length). */
export const sameDigest = (aHex: string, bHex: string): boolean => {
  const a = Buffer.from(aHex, "hex");
  const b = Buffer.from(bHex, "hex");
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
};

const bearer = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export const bearerToken = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : bearer.exec(header)?.[1];
