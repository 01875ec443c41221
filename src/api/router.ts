/**
 * The router, compiled from the HttpApi definition (definition.ts): one `Route` per endpoint,
 * with the decoders of its path, query and body. Nothing here names a route: add an endpoint
 * to the definition and it is routed, documented, and its handler is required by the type of
 * `Handlers`.
 *
 * Why not HttpApiBuilder on NodeHttpServer: measured on this machine class, it answers a
 * trivial route at 4,000–5,500 requests/s against 33,000 for a node:http handler, and the
 * submit benchmark's target is 5,000 durable jobs/s through the whole core. So the definition
 * stays Effect's (schemas, OpenAPI), and the serving is a thin node:http handler (server.ts).
 *
 * Decoding is strict (all issues at once, unknown fields and query parameters refused) through
 * the domain's `decodeWith`, so a 400 lists every issue with its dotted path.
 */
import * as HttpApi from "@effect/platform/HttpApi";
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint";
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup";
import { Context, Option, type Effect, type Either, type Schema } from "effect";
import type { Role } from "../domain/access.ts";
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeWith } from "../domain/decode.ts";
import type { DomainError, InvalidInput } from "../domain/errors.ts";
import type { StoreError } from "../persistence/errors.ts";
import { Authorization, RequiredRole, type HodeiApi } from "./definition.ts";
import type { ApiFailure } from "./errors.ts";

type Decoder = (u: unknown) => Either.Either<any, InvalidInput>;

export interface Route {
  readonly group: string;
  readonly name: string;
  readonly method: string;
  /** The template, as in the document and in metrics: `/api/v1/jobs/:id`. */
  readonly path: string;
  readonly auth: boolean;
  /** The least role its token needs (set on every route with `auth`). */
  readonly role: Role | undefined;
  /** Whether a body is read: POST and PUT routes with a payload schema. */
  readonly body: boolean;
  readonly decodePath: Decoder | undefined;
  readonly decodeQuery: Decoder | undefined;
  /** Undefined for raw-payload routes: the core validates those bodies itself. */
  readonly decodeBody: Decoder | undefined;
}

/** Bodies validated by the core (submit decodes a JobSpec): decoding them here too would double the cost. */
export const rawPayload: ReadonlySet<string> = new Set(["submitJob", "submitBatch"]);

export type Match =
  | { readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly allow: ReadonlyArray<string> };

type Segments = ReadonlyArray<string | { readonly param: string }>;

export interface Router {
  readonly routes: ReadonlyArray<Route>;
  /** Undefined when no route has this path; `allow` when it has, with other methods. */
  readonly match: (method: string, path: string) => Match | undefined;
}

const decoder = (schema: { value: Schema.Schema<any, any, never> } | { _tag: "None" }) =>
  "value" in schema ? decodeWith(schema.value) : undefined;

export const compileRouter = (api: HodeiApi): Router => {
  const routes: Route[] = [];
  HttpApi.reflect(api as unknown as HttpApi.HttpApi.Any as never, {
    onGroup: () => {},
    onEndpoint: ({ group, endpoint, middleware, mergedAnnotations }) => {
      const e = endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps;
      routes.push({
        group: group.identifier,
        name: e.name,
        method: e.method,
        path: e.path,
        auth: middleware.has(Authorization as never),
        role: Option.getOrUndefined(Context.getOption(mergedAnnotations, RequiredRole)),
        body: (e.method === "POST" || e.method === "PUT") && e.payloadSchema._tag === "Some",
        decodePath: decoder(e.pathSchema as never),
        decodeQuery: decoder(e.urlParamsSchema as never),
        decodeBody: rawPayload.has(e.name) ? undefined : decoder(e.payloadSchema as never),
      });
    },
  });

  const fixed = new Map<string, Map<string, Route>>();
  const templated: Array<{ segments: Segments; methods: Map<string, Route> }> = [];
  for (const route of routes) {
    if (!route.path.includes(":")) {
      const methods = fixed.get(route.path) ?? new Map<string, Route>();
      methods.set(route.method, route);
      fixed.set(route.path, methods);
      continue;
    }
    const segments = route.path
      .split("/")
      .map((s) => (s.startsWith(":") ? { param: s.slice(1) } : s));
    const same = templated.find((t) => JSON.stringify(t.segments) === JSON.stringify(segments));
    if (same) same.methods.set(route.method, route);
    else templated.push({ segments, methods: new Map([[route.method, route]]) });
  }

  const pick = (methods: Map<string, Route>, method: string, params: Record<string, string>) => {
    const route = methods.get(method);
    return route ? { route, params } : { allow: [...methods.keys()] };
  };

  return {
    routes,
    match: (method, path) => {
      const exact = fixed.get(path);
      if (exact) return pick(exact, method, {});
      const parts = path.split("/");
      for (const t of templated) {
        if (t.segments.length !== parts.length) continue;
        const params: Record<string, string> = {};
        let ok = true;
        for (let i = 0; i < parts.length && ok; i++) {
          const s = t.segments[i]!;
          const part = parts[i]!;
          if (typeof s === "string") ok = s === part;
          else if (part === "") ok = false;
          else params[s.param] = safeDecode(part);
        }
        if (ok) return pick(t.methods, method, params);
      }
      return undefined;
    },
  };
};

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

// ---- handler types, derived from the definition ----

type Groups = HodeiApi extends HttpApi.HttpApi<any, infer G, any, any> ? G : never;
type Endpoints = HttpApiGroup.HttpApiGroup.Endpoints<Groups>;
type Names = HttpApiEndpoint.HttpApiEndpoint.Name<Endpoints>;
type EndpointNamed<N> = Extract<Endpoints, { readonly name: N }>;

export interface Input<P, Q, B> {
  readonly path: P;
  readonly query: Q;
  readonly payload: B;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

type InputOf<E extends HttpApiEndpoint.HttpApiEndpoint.Any> = Input<
  HttpApiEndpoint.HttpApiEndpoint.PathParsed<E>,
  HttpApiEndpoint.HttpApiEndpoint.UrlParams<E>,
  HttpApiEndpoint.HttpApiEndpoint.Name<E> extends "submitJob" | "submitBatch"
    ? unknown
    : HttpApiEndpoint.HttpApiEndpoint.Payload<E>
>;

/** A JSON answer, or `streamed` when the handler wrote the response itself (SSE, text). */
export type Reply =
  | {
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly streamed: true; readonly status: number };

export type HandlerError = ApiFailure | DomainError | StoreError;

/** One handler per endpoint of the definition, typed by its schemas. */
export type Handlers = {
  readonly [N in Names]: (input: InputOf<EndpointNamed<N>>) => Effect.Effect<Reply, HandlerError>;
};
