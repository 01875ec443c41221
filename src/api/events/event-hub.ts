/**
 * The bus, live, for browsers: `GET /api/v1/events` streams the supervisor's topics as
 * Server-Sent Events, one connection per page carrying every topic the page follows.
 *
 * The hub subscribes once per topic for its own life and fans each message out to the open
 * streams that asked for its topic (`topics=jobs,runs`; all by default). Events: `hello` (the
 * topics, first), `job`, `worker`, `run`, `placement` (the topic's message as JSON), `overview`
 * (overview.ts, at most every `overviewMs` and only when it changed), a comment every
 * `heartbeatMs`, and `resync`.
 *
 * A stream never buffers without bound: when a client is too slow to take more (`res.write`
 * says so), its events are skipped until the socket drains, then it gets `resync`, which tells
 * the page to read what it shows again from the API. The topics themselves drop the oldest
 * message for a slow hub rather than slow the supervisor down: the same `resync` follows.
 */
import { Effect, type Scope } from "effect";
import type { ServerResponse } from "node:http";
import type { Subscription, Topic } from "../../bus/index.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import {
  jobEvents,
  placementEvents,
  runEvents,
  workerEvents,
  type JobEvent,
} from "../../supervisor/topics.ts";
import type { EventTopic } from "../dashboard-schemas.ts";
import { makeRateWindow, overviewOf } from "./overview.ts";
import type { Overview } from "../dashboard-schemas.ts";

interface Client {
  readonly res: ServerResponse;
  readonly topics: ReadonlySet<EventTopic>;
  lagging: boolean;
  done: boolean;
}

export interface EventHub {
  /** Takes over `res` and streams the topics to it until the client goes. */
  readonly follow: (topics: ReadonlyArray<EventTopic>, res: ServerResponse) => void;
  readonly overview: () => Overview;
  readonly open: () => number;
  /** Ends every stream (shutdown). */
  readonly closeAll: () => void;
}

export interface EventHubOptions {
  readonly heartbeatMs: number;
  readonly overviewMs: number;
}

export const makeEventHub = (
  core: SupervisorCore,
  options: EventHubOptions,
): Effect.Effect<EventHub, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clients = new Set<Client>();
    const rates = makeRateWindow();
    // The core's clock: the rates' buckets are the job events' `at`, stamped with it.
    const overview = () => overviewOf(core, rates, core.now());

    const write = (c: Client, text: string) => {
      if (c.done || c.lagging) return;
      if (c.res.write(text)) return;
      c.lagging = true;
      c.res.once("drain", () => {
        c.lagging = false;
        write(c, "event: resync\ndata: {}\n\n");
      });
    };
    const broadcast = (topic: EventTopic, event: string, data: unknown) => {
      let text: string | undefined;
      for (const c of clients) {
        if (!c.topics.has(topic)) continue;
        text ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
        write(c, text);
      }
    };

    const pump = <A>(
      topic: Topic<A>,
      name: EventTopic,
      event: string,
      also?: (a: A) => void,
    ): Effect.Effect<void, never, Scope.Scope> =>
      Effect.gen(function* () {
        const sub: Subscription<A> = yield* core.events.subscribe(topic, { capacity: 1 << 14 });
        let dropped = 0;
        const handle = (a: A) => {
          also?.(a);
          broadcast(name, event, a);
        };
        yield* Effect.forkScoped(
          Effect.forever(
            Effect.zipRight(
              sub.awaitMessages,
              Effect.sync(() => {
                sub.drain(Number.MAX_SAFE_INTEGER, handle as never);
                if (sub.dropped !== dropped) {
                  dropped = sub.dropped;
                  broadcast(name, "resync", {});
                }
              }),
            ),
          ).pipe(Effect.catchTag("BusClosed", () => Effect.void)),
        );
      });
    yield* pump(jobEvents, "jobs", "job", (e: JobEvent) => rates.record(e));
    yield* pump(workerEvents, "workers", "worker");
    yield* pump(runEvents, "runs", "run");
    yield* pump(placementEvents, "placements", "placement");

    let lastOverview = "";
    const tick = setInterval(() => {
      if (![...clients].some((c) => c.topics.has("overview"))) return;
      const { at, ...rest } = overview();
      const text = JSON.stringify(rest);
      if (text === lastOverview) return;
      lastOverview = text;
      broadcast("overview", "overview", { at, ...rest });
    }, options.overviewMs);
    tick.unref();
    const heartbeat = setInterval(() => {
      for (const c of clients) write(c, ": keep-alive\n\n");
    }, options.heartbeatMs);
    heartbeat.unref();

    const end = (c: Client) => {
      if (c.done) return;
      c.done = true;
      clients.delete(c);
      c.res.end();
    };
    const closeAll = () => {
      for (const c of [...clients]) end(c);
    };
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        clearInterval(tick);
        clearInterval(heartbeat);
        closeAll();
      }),
    );

    return {
      follow: (topics, res) => {
        res.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          "x-accel-buffering": "no",
        });
        const c: Client = { res, topics: new Set(topics), lagging: false, done: false };
        clients.add(c);
        res.on("close", () => {
          c.done = true;
          clients.delete(c);
        });
        write(c, `event: hello\ndata: ${JSON.stringify({ topics })}\n\n`);
        if (c.topics.has("overview"))
          write(c, `event: overview\ndata: ${JSON.stringify(overview())}\n\n`);
      },
      overview,
      open: () => clients.size,
      closeAll,
    };
  });
