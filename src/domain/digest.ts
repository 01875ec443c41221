/**
 * Digests of secrets (API tokens, worker secrets): what is stored instead of the secret, and
 * the one way they are compared — in constant time, so that response timing tells nothing
 * about how much of a guess was right.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Two SHA-256 digests (hex) compared in constant time; false for anything else. */
export const sameDigest = (aHex: string, bHex: string): boolean => {
  const a = Buffer.from(aHex, "hex");
  const b = Buffer.from(bHex, "hex");
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
};
