/**
 * How the API is protected, decided once at start (`hodei serve`, `createSupervisor`):
 *
 * - `insecureNoAuth`: no token at all (config.ts has already refused it off loopback).
 * - tokens exist — the operator configured `HODEI_API_TOKEN`, or the store holds a usable
 *   token (`hodei tokens create`, or an earlier first start): they are what the API takes.
 * - none, on a loopback address: the first start. A new admin token goes to
 *   `<dataDir>/api-token` (mode 0600, written before the store learns of it, so a crash cannot
 *   leave a stored token nobody knows), and the `hodei` CLI on this machine reads it there.
 * - none, on any other address: refused (exit code 2). A token minted into a file nobody has
 *   read yet would protect nothing the operator knows about; they set `HODEI_API_TOKEN`, or
 *   start once on loopback and create tokens.
 */
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { Data, Effect } from "effect";
import { isActive, type ApiTokenRecord } from "../../domain/access.ts";
import { hostOf, isLoopbackHost } from "../../domain/address.ts";
import type { CredentialStore, StoreError } from "../../persistence/index.ts";
import type { Logger } from "../../supervisor/logger.ts";
import type { ApiAuth } from "../options.ts";
import { newToken, tokenFileName } from "./token-text.ts";

export class ExposureRefused extends Data.TaggedError("ExposureRefused")<{
  readonly address: string;
}> {
  /** A configuration the operator must change: the CLI's usage exit code. */
  readonly exitCode = 2;
  override get message(): string {
    return `refusing to serve the API on ${this.address} with no token: set HODEI_API_TOKEN (an admin token), or start once on loopback and create tokens with \`hodei tokens create\``;
  }
}

export interface AuthSettings {
  readonly http: string;
  readonly dataDir: string;
  readonly apiToken?: string | undefined;
  readonly insecureNoAuth: boolean;
}

/**
 * Made 0600 before a byte is written, whatever the umask or an older file's mode. Written in
 * place, not through a temporary file: a crash cannot leave a stray file behind (the LMDB
 * directory refuses files it does not know), and a half-written token is simply replaced at
 * the next start, since the store learns of a token only once its file is complete.
 */
const writeTokenFile = (dir: string, token: string): string => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, tokenFileName);
  const fd = openSync(path, "w", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
};

export const prepareApiAuth = (
  credentials: CredentialStore,
  settings: AuthSettings,
  log: Logger,
  now: number = Date.now(),
): Effect.Effect<ApiAuth, StoreError | ExposureRefused | Error> =>
  Effect.gen(function* () {
    if (settings.insecureNoAuth) {
      log.warn(
        "the API asks for no token (--insecure-no-auth): anyone on this machine may use it",
        {
          http: settings.http,
        },
      );
      return { insecureNoAuth: true };
    }
    const configured = { token: settings.apiToken };
    if (settings.apiToken !== undefined) return configured;
    const stored = yield* credentials.listTokens();
    if (stored.some((t) => isActive(t, now))) return configured;
    if (!isLoopbackHost(hostOf(settings.http))) {
      return yield* new ExposureRefused({ address: settings.http });
    }
    const made = newToken();
    const path = yield* Effect.try({
      try: () => writeTokenFile(resolve(settings.dataDir), made.text),
      catch: (e) =>
        new Error(`cannot write the admin API token: ${e instanceof Error ? e.message : e}`),
    });
    const record: ApiTokenRecord = {
      id: made.id,
      name: "admin token of the first start",
      role: "admin",
      hash: made.hash,
      createdAt: now,
    };
    yield* credentials.putToken(record);
    log.info("wrote an admin API token for the hodei CLI on this machine", { path });
    return configured;
  });
