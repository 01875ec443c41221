/**
 * Shapes of the routes the web dashboard uses beyond the plain resources: the overview of the
 * cluster, the live event stream's topics, who a token is, and the one-time links that hand a
 * token to a browser (`hodei ui`).
 */
import { Schema } from "effect";
import { Role } from "../domain/access.ts";
import { patternString } from "../domain/primitives.ts";

const Totals = Schema.Struct({
  cpuMillis: Schema.Number,
  memoryMb: Schema.Number,
});

export const Overview = Schema.Struct({
  at: Schema.Number.annotations({ description: "when it was taken, epoch ms" }),
  workers: Schema.Struct({
    healthy: Schema.Number,
    lost: Schema.Number.annotations({ description: "registered, but not heard from in time" }),
    draining: Schema.Number,
  }),
  capacity: Totals.annotations({ description: "of the healthy workers" }),
  reserved: Totals.annotations({ description: "held by placed jobs on healthy workers" }),
  measured: Totals.annotations({
    description: "in use as the agents measure it (CPU: share of capacity, memory used)",
  }),
  queue: Schema.Array(Schema.Struct({ priority: Schema.Number, jobs: Schema.Number })).annotations({
    description: "queued jobs by priority, highest first",
  }),
  queued: Schema.Number,
  placed: Schema.Number,
  rates: Schema.Struct({
    inPerSecond: Schema.Number.annotations({ description: "jobs accepted, over the last 10 s" }),
    outPerSecond: Schema.Number.annotations({ description: "jobs finished, over the last 10 s" }),
  }),
}).annotations({ identifier: "Overview", description: "the cluster at a glance" });
export type Overview = typeof Overview.Type;

export const eventTopics = ["jobs", "workers", "runs", "placements", "overview"] as const;
export type EventTopic = (typeof eventTopics)[number];
const EventTopic = Schema.Literal(...eventTopics);

export const EventsQuery = Schema.Struct({
  topics: Schema.optionalWith(
    Schema.transform(
      Schema.String.annotations({
        description: `topics, comma-separated (default all): ${eventTopics.join(",")}`,
      }),
      Schema.Array(EventTopic).pipe(Schema.minItems(1)),
      { strict: false, decode: (s) => s.split(","), encode: (a) => a.join(",") },
    ),
    { exact: true },
  ),
});

export const WhoAmI = Schema.Struct({
  role: Role,
  tokenId: Schema.NullOr(Schema.String).annotations({
    description: "the stored token's id; null for the configured token or without auth",
  }),
}).annotations({ identifier: "WhoAmI", description: "the caller's token: its role" });

/** 43 base64url characters: 32 random bytes. */
export const LinkCode = patternString(/^[A-Za-z0-9_-]{43}$/, 43, "a one-time link code");

export const UiLink = Schema.Struct({
  code: LinkCode,
  path: Schema.String.annotations({ description: "open this path on the API's address" }),
  expiresAt: Schema.Number,
}).annotations({
  identifier: "UiLink",
  description: "a one-time link that hands the caller's token to the dashboard",
});

export const ExchangeRequest = Schema.Struct({ code: LinkCode }).annotations({
  identifier: "ExchangeRequest",
});

export const ExchangedToken = Schema.Struct({ token: Schema.String }).annotations({
  identifier: "ExchangedToken",
  description: "the token the link was made with; the link is used up",
});
