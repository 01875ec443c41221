/**
 * One-time links: how `hodei ui` hands the local CLI's token to a browser without putting the
 * token in a URL (where history, logs and screenshots would keep it). The CLI, authenticated
 * with its token, asks for a link; the link carries a random code; the dashboard trades the code
 * for the token once. A code is good for one exchange within `ttlMs`, then it is gone; unknown,
 * used and expired codes get the same answer.
 *
 * Codes live in memory only: a restart forgets them, which costs the user one more `hodei ui`.
 */
import { randomBytes } from "node:crypto";

export interface UiLinks {
  /** A new code standing for `token` until `expiresAt`. */
  readonly create: (
    token: string,
    now: number,
  ) => { readonly code: string; readonly expiresAt: number };
  /** The token, once; undefined for an unknown, used or expired code. */
  readonly exchange: (code: string, now: number) => string | undefined;
  readonly pending: () => number;
}

/** At most this many codes wait at once: the oldest goes first. */
const maxPending = 1000;

export const makeUiLinks = (ttlMs = 60_000): UiLinks => {
  const codes = new Map<string, { readonly token: string; readonly expiresAt: number }>();
  const sweep = (now: number) => {
    for (const [code, link] of codes) if (link.expiresAt <= now) codes.delete(code);
  };
  return {
    create: (token, now) => {
      sweep(now);
      if (codes.size >= maxPending) codes.delete(codes.keys().next().value!);
      const code = randomBytes(32).toString("base64url");
      const expiresAt = now + ttlMs;
      codes.set(code, { token, expiresAt });
      return { code, expiresAt };
    },
    exchange: (code, now) => {
      const link = codes.get(code);
      codes.delete(code);
      return link !== undefined && link.expiresAt > now ? link.token : undefined;
    },
    pending: () => codes.size,
  };
};
