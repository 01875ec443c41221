/**
 * The API's tokens, as the listener checks them: every stored token record (loaded once at
 * start, then kept in step by `create` and `revoke`, which write the store first), plus the
 * token configured by the operator (`HODEI_API_TOKEN`), which is an admin token that lives in
 * the configuration rather than the store.
 *
 * Checking a request costs a map lookup and one SHA-256, compared in constant time: the store
 * is not read per request. This is sound because one supervisor owns a store at a time
 * (DESIGN.md), so nothing else changes the records under it.
 *
 * A token that does not name a known record is still hashed and compared against a dummy, so
 * that answering "no such token" takes as long as "wrong secret".
 */
import { Effect } from "effect";
import { isActive, type ApiTokenRecord, type Role, type TokenView } from "../../domain/access.ts";
import type { CredentialStore, StoreError } from "../../persistence/index.ts";
import { ApiFailure } from "../errors.ts";
import { newToken, parseToken, sameDigest, sha256Hex } from "./token-text.ts";

/** Who is calling: the record's id, or null for the configured token. */
export interface Caller {
  readonly tokenId: string | null;
  readonly role: Role;
}

export interface NewToken {
  readonly role: Role;
  readonly name: string;
  readonly expiresAt?: number;
}

export interface Keyring {
  /** The caller a token's text stands for, or undefined (unknown, wrong, revoked, expired). */
  readonly verify: (token: string, now: number) => Caller | undefined;
  /** Stores a new token; its text is in the answer and nowhere else. */
  readonly create: (
    input: NewToken,
    now: number,
  ) => Effect.Effect<{ readonly token: string; readonly view: TokenView }, StoreError>;
  readonly list: () => ReadonlyArray<TokenView>;
  /** Revokes a token for good. The last usable admin token cannot go (409): nobody could
   * create another. */
  readonly revoke: (id: string, now: number) => Effect.Effect<TokenView, ApiFailure | StoreError>;
  /** Stored tokens usable now. */
  readonly active: (now: number) => number;
}

export const viewOf = ({ hash: _, ...view }: ApiTokenRecord): TokenView => view;

const dummy = sha256Hex("no such token");

export const loadKeyring = (
  store: CredentialStore,
  options: { readonly adminToken?: string | undefined } = {},
): Effect.Effect<Keyring, StoreError> =>
  Effect.map(store.listTokens(), (stored) => {
    const records = new Map(stored.map((r) => [r.id, r]));
    const configured = options.adminToken === undefined ? undefined : sha256Hex(options.adminToken);

    const verify = (token: string, now: number): Caller | undefined => {
      const parsed = parseToken(token);
      if (parsed === undefined) {
        return configured !== undefined && sameDigest(sha256Hex(token), configured)
          ? { tokenId: null, role: "admin" }
          : undefined;
      }
      const record = records.get(parsed.id);
      const matches = sameDigest(sha256Hex(parsed.secret), record?.hash ?? dummy);
      return record !== undefined && matches && isActive(record, now)
        ? { tokenId: record.id, role: record.role }
        : undefined;
    };

    const usableAdmins = (now: number) =>
      [...records.values()].filter((r) => r.role === "admin" && isActive(r, now)).length;

    return {
      verify,
      create: (input, now) => {
        const made = newToken();
        const record: ApiTokenRecord = {
          id: made.id,
          name: input.name,
          role: input.role,
          hash: made.hash,
          createdAt: now,
          ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
        };
        return Effect.as(
          Effect.tap(store.putToken(record), () => void records.set(record.id, record)),
          { token: made.text, view: viewOf(record) },
        );
      },
      list: () => [...records.values()].map(viewOf),
      revoke: (id, now) =>
        Effect.suspend((): Effect.Effect<TokenView, ApiFailure | StoreError> => {
          const record = records.get(id);
          if (record === undefined) {
            return Effect.fail(new ApiFailure(404, "not_found", `token ${id} not found`));
          }
          if (record.revokedAt !== undefined) return Effect.succeed(viewOf(record));
          if (
            record.role === "admin" &&
            isActive(record, now) &&
            configured === undefined &&
            usableAdmins(now) === 1
          ) {
            return Effect.fail(
              new ApiFailure(
                409,
                "conflict",
                `token ${id} is the last admin token: create another admin token first`,
              ),
            );
          }
          const revoked: ApiTokenRecord = { ...record, revokedAt: now };
          return Effect.as(
            Effect.tap(store.putToken(revoked), () => void records.set(id, revoked)),
            viewOf(revoked),
          );
        }),
      active: (now) => [...records.values()].filter((r) => isActive(r, now)).length,
    };
  });
