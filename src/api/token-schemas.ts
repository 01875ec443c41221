/** Bodies and answers of the token routes (`hodei tokens`). A token record is domain/access.ts's. */
import { Schema } from "effect";
import { Role, TokenId, TokenView } from "../domain/access.ts";
import { boundedInt, Name } from "../domain/primitives.ts";

export { TokenView };

/** Ten years: longer is "never", which is what leaving `expiresInMs` out says. */
export const maxTokenLifetimeMs = 3_650 * 86_400_000;

export const CreateTokenRequest = Schema.Struct({
  role: Role,
  name: Schema.optionalWith(Name, { exact: true }).annotations({
    description: "who or what it is for; default: the role and the time",
  }),
  expiresInMs: Schema.optionalWith(
    boundedInt(60_000, maxTokenLifetimeMs, "milliseconds, from one minute to ten years"),
    { exact: true },
  ).annotations({ description: "the token stops working this long from now; default: never" }),
});

export const CreatedToken = Schema.Struct({
  ...TokenView.fields,
  token: Schema.String.annotations({
    description: "the token itself: `Authorization: Bearer <token>`. Shown only in this answer",
  }),
}).annotations({ identifier: "CreatedToken" });

export const TokenList = Schema.Struct({ tokens: Schema.Array(TokenView) });

export const TokenIdPath = Schema.Struct({ id: TokenId });
