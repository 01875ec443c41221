/**
 * One request's way through the API, as a node:http listener. In order, each step answering
 * the common error body when it refuses:
 *
 * 1. who is asking (auth/request-guard.ts): 421 for a non-loopback `Host` on a loopback bind,
 *    403 for a browser origin that is not allowed (an allowed one's preflight is answered);
 * 2. the dashboard's files (ui/static-files.ts): `GET /` and `/assets/...`, no token (they hold
 *    no data); then route: 404 `route_not_found` for an unknown path, 405 (with `Allow`) for a known path and
 *    another method;
 * 3. bearer token, on routes that need one: 401 without a usable token, 403 when its role is
 *    too weak (auth/authorize.ts), before any body is read;
 * 4. `Content-Type`: 415 for a body that is not JSON;
 * 5. path parameters: 404 for one that cannot be an id of its kind (it names nothing); query
 *    parameters: 400 naming each bad or unknown one;
 * 6. body (routes with a payload): 413 over the limit, before parsing; 400 for bad JSON, text
 *    that is not well-formed UTF-16 (a lone surrogate), or a payload the route's schema refuses
 *    (submits leave that to the core, which says the same);
 * 7. the handler: its failures map by errors.ts, a defect is logged and answered 500.
 *
 * Every answer is counted and timed by method, route template and status.
 */
import { Cause, Effect, Either, Exit } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import { invalidInput } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import type { HodeiMetrics } from "../metrics/metrics.ts";
import { authorize } from "./auth/authorize.ts";
import type { Keyring } from "./auth/keyring.ts";
import {
  contentTypeRefusal,
  hostRefusal,
  originVerdict,
  preflightHeaders,
  type GuardOptions,
} from "./auth/request-guard.ts";
import { parseJson, readBody, tooLarge } from "./body.ts";
import { ApiFailure, fromError } from "./errors.ts";
import type { NormalizedApiOptions } from "./options.ts";
import type { StaticFiles } from "./ui/static-files.ts";
import type { HandlerError, Handlers, Reply, Route, Router } from "./router.ts";

/** The route label of requests no route took. */
const unmatched = "unmatched";

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

/** A query string on a route that takes none: refused like an unknown field. */
const noQuery = (search: string): Either.Either<undefined, InvalidInput> => {
  const keys = [...new URLSearchParams(search).keys()];
  return keys.length === 0
    ? Either.right(undefined)
    : Either.left(invalidInput(keys.map((k) => ({ path: k, message: "is unexpected" }))));
};

/** A path parameter that cannot be an id of its kind: nothing has that name. */
const notFoundPath = (e: InvalidInput): ApiFailure =>
  new ApiFailure(404, "not_found", `not found: ${e.message}`, e.issues);

export const makeListener = (options: {
  readonly router: Router;
  readonly handlers: Handlers;
  readonly metrics: HodeiMetrics;
  readonly options: NormalizedApiOptions;
  readonly keyring: Keyring;
  /** The API listens on loopback only (its `Host` is checked). */
  readonly loopback: boolean;
  /** The dashboard's files, when served. */
  readonly ui?: StaticFiles | undefined;
}) => {
  const { router, handlers, metrics, keyring } = options;
  const { bodyLimitBytes, discardLimitBytes, onError, authRequired, publicMetrics } =
    options.options;
  const guard: GuardOptions = {
    loopback: options.loopback,
    allowedOrigins: options.options.allowedOrigins,
  };
  const needsToken = (route: Route) =>
    authRequired && route.role !== undefined && !(publicMetrics && route.name === "metrics");

  // Most requests carry no query string: decode "no parameters" once per route.
  const empty = new Map(router.routes.map((r) => [r, r.decodeQuery?.({}) ?? Either.right({})]));
  const noParameters = (route: Route) => empty.get(route)!;

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const method = req.method ?? "GET";
    let label = unmatched;
    const done = (status: number) =>
      metrics.observeHttp(method, label, status, (performance.now() - started) / 1000);
    const fail = (failure: ApiFailure, destroy = false) => {
      if (res.headersSent) res.destroy();
      else {
        sendJson(res, failure.status, failure.body(), failure.headers);
        if (destroy) res.once("finish", () => req.destroy());
      }
      done(failure.status);
    };

    const misdirected = hostRefusal(req, guard);
    if (misdirected !== undefined) return fail(misdirected);
    const origin = originVerdict(req, guard);
    if (!origin.ok) return fail(origin.failure);
    for (const [name, value] of Object.entries(origin.cors)) res.setHeader(name, value);
    if (method === "OPTIONS" && "access-control-allow-origin" in origin.cors) {
      res.writeHead(204, preflightHeaders).end();
      return done(204);
    }

    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if ((method === "GET" || method === "HEAD") && options.ui?.handles(pathname)) {
      label = "ui";
      return done(options.ui.serve(pathname, method === "HEAD", res));
    }
    const match = router.match(method, pathname);
    if (match === undefined) {
      return fail(new ApiFailure(404, "route_not_found", `no route ${method} ${pathname}`));
    }
    if ("allow" in match) {
      const allow = match.allow.join(", ");
      return fail(
        new ApiFailure(
          405,
          "method_not_allowed",
          `${method} ${pathname}: use ${allow}`,
          {
            allow: match.allow,
          },
          { allow },
        ),
      );
    }
    const { route } = match;
    label = route.path;
    if (needsToken(route)) {
      const verdict = authorize(req, route.role ?? "admin", keyring, Date.now());
      if ("failure" in verdict) return fail(verdict.failure);
    }
    const unsupported = contentTypeRefusal(req);
    if (unsupported !== undefined) return fail(unsupported);
    const path = route.decodePath?.(match.params) ?? Either.right(undefined);
    if (Either.isLeft(path)) return fail(notFoundPath(path.left));
    const search = q < 0 ? "" : url.slice(q + 1);
    const query =
      search === ""
        ? noParameters(route)
        : route.decodeQuery
          ? route.decodeQuery(Object.fromEntries(new URLSearchParams(search)))
          : noQuery(search);
    if (Either.isLeft(query)) return fail(fromError(query.left));

    const run = (payload: unknown) => {
      const handler = handlers[route.name as keyof Handlers] as (
        input: unknown,
      ) => Effect.Effect<Reply, HandlerError>;
      const effect = Effect.suspend(() =>
        handler({ path: path.right, query: query.right ?? {}, payload, req, res }),
      );
      Effect.runCallback(effect, {
        onExit: (exit) => {
          if (Exit.isSuccess(exit)) {
            const reply = exit.value;
            if (!("streamed" in reply)) sendJson(res, reply.status, reply.body, reply.headers);
            return done(reply.status);
          }
          const failure = Cause.failureOption(exit.cause);
          if (failure._tag === "Some") return fail(fromError(failure.value));
          if (Cause.isInterruptedOnly(exit.cause)) {
            return fail(new ApiFailure(503, "shutting_down", "the request was interrupted"));
          }
          onError(Cause.squash(exit.cause), `${method} ${route.path}`);
          fail(new ApiFailure(500, "internal", "an unexpected error; see the supervisor's log"));
        },
      });
    };

    if (!route.body) return run(undefined);
    readBody(req, bodyLimitBytes, discardLimitBytes, (body) => {
      if (!body.ok) return fail(body.failure, body.destroy);
      const json = parseJson(body.text);
      if (!json.ok) return fail(json.failure);
      if (route.decodeBody === undefined) return run(json.value);
      const decoded = route.decodeBody(json.value);
      if (Either.isLeft(decoded)) return fail(fromError(decoded.left));
      run(decoded.right);
    });
  };

  /** `Expect: 100-continue`: an oversized body is refused before the client sends it. */
  const checkContinue = (req: IncomingMessage, res: ServerResponse): void => {
    if (Number(req.headers["content-length"] ?? 0) <= bodyLimitBytes) {
      res.writeContinue();
      return listener(req, res);
    }
    const failure = tooLarge(bodyLimitBytes);
    sendJson(res, 413, failure.body(), failure.headers);
    const match = router.match(req.method ?? "POST", (req.url ?? "/").split("?")[0]!);
    const label = match !== undefined && "route" in match ? match.route.path : unmatched;
    metrics.observeHttp(req.method ?? "POST", label, 413, 0);
  };

  return { listener, checkContinue };
};
