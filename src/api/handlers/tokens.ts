/**
 * The token routes (`hodei tokens`), all for admin tokens: create one (its text is in this
 * answer and nowhere else), list them (never a secret or a digest), revoke one.
 */
import { Effect } from "effect";
import type { Handlers } from "../router.ts";
import type { ApiContext } from "./context.ts";

export const tokenHandlers = (
  ctx: ApiContext,
): Pick<Handlers, "createToken" | "listTokens" | "revokeToken"> => ({
  createToken: ({ payload }) =>
    Effect.gen(function* () {
      const now = Date.now();
      const name = payload.name ?? `${payload.role} token of ${new Date(now).toISOString()}`;
      const made = yield* ctx.keyring.create(
        {
          role: payload.role,
          name,
          ...(payload.expiresInMs !== undefined ? { expiresAt: now + payload.expiresInMs } : {}),
        },
        now,
      );
      return { status: 201, body: { ...made.view, token: made.token } };
    }),
  listTokens: () => Effect.sync(() => ({ status: 200, body: { tokens: ctx.keyring.list() } })),
  revokeToken: ({ path }) =>
    Effect.map(ctx.keyring.revoke(path.id, Date.now()), (view) => ({ status: 200, body: view })),
});
