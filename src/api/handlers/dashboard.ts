/**
 * The routes of the web dashboard: the live event stream (events/event-hub.ts), the overview,
 * who the caller's token is (the page shows admin buttons to admins only; the API refuses the
 * others anyway), and the one-time links of `hodei ui` (ui/links.ts).
 */
import { Effect } from "effect";
import { bearerToken } from "../auth/token-text.ts";
import { eventTopics } from "../dashboard-schemas.ts";
import { ApiFailure } from "../errors.ts";
import type { Handlers } from "../router.ts";
import type { ApiContext } from "./context.ts";

type Names = "streamEvents" | "getOverview" | "whoAmI" | "createUiLink" | "exchangeUiLink";

const usedLink = () =>
  new ApiFailure(404, "not_found", "unknown, used or expired link: run `hodei ui` again");

export const dashboardHandlers = (ctx: ApiContext): Pick<Handlers, Names> => {
  const callerOf = (authorization: string | undefined) => {
    const token = bearerToken(authorization);
    return token === undefined ? undefined : ctx.keyring.verify(token, Date.now());
  };
  return {
    streamEvents: ({ query, res }) =>
      Effect.sync(() => {
        ctx.events.follow(query.topics ?? eventTopics, res);
        return { streamed: true as const, status: 200 };
      }),
    getOverview: () => Effect.sync(() => ({ status: 200, body: ctx.events.overview() })),
    whoAmI: ({ req }) =>
      Effect.sync(() => {
        const caller = ctx.options.authRequired ? callerOf(req.headers.authorization) : undefined;
        return {
          status: 200,
          body: { role: caller?.role ?? "admin", tokenId: caller?.tokenId ?? null },
        };
      }),
    createUiLink: ({ req }) =>
      Effect.sync(() => {
        // The route's check passed: without auth there is no token to hand over, only a link.
        const token = bearerToken(req.headers.authorization) ?? "";
        const { code, expiresAt } = ctx.uiLinks.create(token, Date.now());
        return { status: 201, body: { code, path: `/#/login?code=${code}`, expiresAt } };
      }),
    exchangeUiLink: ({ payload }) => {
      const token = ctx.uiLinks.exchange(payload.code, Date.now());
      return token === undefined
        ? Effect.fail(usedLink())
        : Effect.succeed({
            status: 200,
            body: { token },
            headers: { "cache-control": "no-store" },
          });
    },
  };
};
