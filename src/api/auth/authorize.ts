/**
 * A route's token check: 401 when the request has no usable token (none, not a bearer token,
 * unknown, wrong, revoked or expired — one answer, so a caller learns nothing about which), 403
 * when the token is fine but its role is weaker than the route's.
 */
import type { IncomingMessage } from "node:http";
import { roleAllows, type Role } from "../../domain/access.ts";
import { ApiFailure } from "../errors.ts";
import type { Caller, Keyring } from "./keyring.ts";
import { bearerToken } from "./token-text.ts";

const unauthorized = () =>
  new ApiFailure(401, "unauthorized", "missing or wrong bearer token", null, {
    "www-authenticate": 'Bearer realm="hodei"',
  });

export const authorize = (
  req: IncomingMessage,
  need: Role,
  keyring: Keyring,
  now: number,
): { readonly caller: Caller } | { readonly failure: ApiFailure } => {
  const token = bearerToken(req.headers.authorization);
  const caller = token === undefined ? undefined : keyring.verify(token, now);
  if (caller === undefined) return { failure: unauthorized() };
  if (!roleAllows(caller.role, need)) {
    return {
      failure: new ApiFailure(
        403,
        "forbidden",
        `this route needs a token with the ${need} role; this one has ${caller.role}`,
        { required: need, role: caller.role },
      ),
    };
  }
  return { caller };
};
