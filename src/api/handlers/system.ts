/**
 * The routes about the supervisor itself: metrics, the OpenAPI document and the probes.
 *
 * `/health` answers while the process serves at all. `/ready` answers 200 when every readiness
 * check passes and the API still accepts jobs, 503 (details: the checks) otherwise. `/api/v1`
 * answers what it is and links to the main routes: the address the start banner prints.
 */
import { Effect } from "effect";
import { version } from "../../package-info.ts";
import { openApiDocument } from "../definition.ts";
import { ApiFailure } from "../errors.ts";
import type { Handlers } from "../router.ts";
import type { ApiContext } from "./context.ts";

export const systemHandlers = (
  ctx: ApiContext,
): Pick<Handlers, "metrics" | "openApi" | "health" | "ready" | "index"> => {
  // Built on first request: generating it costs a supervisor's start tens of milliseconds.
  let document: string | undefined;
  const links = Object.fromEntries(
    ["openapi.json", "jobs", "workers", "pipelines", "runs", "metrics"].map((r) => [
      r.replace(".json", ""),
      `/api/v1/${r}`,
    ]),
  );
  const index = {
    name: "hodei" as const,
    version,
    links: { ...links, health: "/health", ready: "/ready" },
  };
  return {
    index: () => Effect.succeed({ status: 200, body: index }),
    metrics: ({ res }) =>
      Effect.map(
        Effect.promise(() => ctx.metrics.render()),
        (text) => {
          res.writeHead(200, {
            "content-type": ctx.metrics.contentType,
            "content-length": Buffer.byteLength(text),
          });
          res.end(text);
          return { streamed: true as const, status: 200 };
        },
      ),
    openApi: ({ res }) =>
      Effect.sync(() => {
        document ??= JSON.stringify(openApiDocument());
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(document),
        });
        res.end(document);
        return { streamed: true as const, status: 200 };
      }),
    health: () =>
      Effect.sync(() => ({
        status: 200,
        body: {
          status: "ok",
          uptimeSeconds: (Date.now() - ctx.startedAt) / 1000,
          quarantined: ctx.core.quarantined(),
        },
      })),
    ready: () =>
      Effect.flatMap(
        Effect.promise(async () => ctx.options.readiness()),
        (given) => {
          const checks = { ...given, accepting: ctx.accepting() };
          const missing = Object.entries(checks)
            .filter(([, ok]) => !ok)
            .map(([name]) => name);
          return missing.length === 0
            ? Effect.succeed({ status: 200, body: { ready: true, checks } })
            : Effect.fail(
                new ApiFailure(503, "not_ready", `not ready: ${missing.join(", ")}`, {
                  ready: false,
                  checks,
                }),
              );
        },
      ),
  };
};
