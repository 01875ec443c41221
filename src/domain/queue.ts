/**
 * Named queues: every job is in one (`JobSpec.queue`, `default` unless given), and each queue
 * has settings an operator changes at run time — paused, a concurrency limit across all
 * workers, a rate limit — kept durable by the store and applied by the scheduler.
 *
 * Glossary:
 * - **paused**: the queue's queued jobs stay queued; the ones already placed run to their end.
 * - **concurrency**: at most this many of the queue's jobs hold a worker at once (null: no limit).
 * - **rate limit**: at most `max` placements in any `perMs` window, as a token bucket whose
 *   tokens come back `perMs` after they were taken (scheduler/token-bucket.ts).
 * - **rate limit key** (`JobSpec.rateLimit`): the same limit shared by every job naming the key,
 *   whatever their queue (`{ key: "api.github", max: 10, perMs: 1000 }`).
 */
import { Schema } from "effect";
import { boundedInt, Key, objectExpected, patternString } from "./primitives.ts";

export const defaultQueue = "default";

export const queueNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
export const queueNameLength = 64;

/** Safe in a URL path, a metric label and a shell: letters, digits, '.', '_', '-'. */
export const QueueName = patternString(
  queueNamePattern,
  queueNameLength,
  `a queue name: letters, digits, '.', '_', '-', starting and ending with a letter or digit, at most ${queueNameLength}`,
).annotations({ identifier: "QueueName" });

/** A token costs this much memory per unit of `max`: bounded so a typo cannot take gigabytes. */
export const maxRateLimitMax = 100_000;
export const maxRateLimitPerMs = 86_400_000;

const rateFields = {
  max: boundedInt(1, maxRateLimitMax).annotations({
    description: "placements allowed in any window of perMs",
  }),
  perMs: boundedInt(1, maxRateLimitPerMs).annotations({ description: "the window, in ms" }),
};

export const RateLimit = Schema.Struct(rateFields).annotations({
  identifier: "RateLimit",
  description: "at most max placements in any window of perMs milliseconds",
  ...objectExpected("a rate limit object { max, perMs }"),
});
export type RateLimit = typeof RateLimit.Type;

export const JobRateLimit = Schema.Struct({
  key: Key.annotations({ description: "jobs naming the same key share the limit" }),
  ...rateFields,
}).annotations({
  identifier: "JobRateLimit",
  description: "at most max placements per perMs of the jobs naming this key, in any queue",
  ...objectExpected("a rate limit object { key, max, perMs }"),
});
export type JobRateLimit = typeof JobRateLimit.Type;

export const Concurrency = boundedInt(1, 1_000_000).annotations({
  description: "jobs of the queue holding a worker at once, across all workers",
});

/** A queue's settings, as stored and as the API shows them. */
export const QueueSettings = Schema.Struct({
  name: QueueName,
  paused: Schema.Boolean,
  concurrency: Schema.NullOr(Concurrency),
  rateLimit: Schema.NullOr(RateLimit),
}).annotations({ identifier: "QueueSettings" });
export type QueueSettings = typeof QueueSettings.Type;

/** What `PUT /queues/:name` and the config file give: each field optional, null clears a limit. */
export const QueueSettingsPatch = Schema.Struct({
  paused: Schema.optionalWith(Schema.Boolean, { exact: true }),
  concurrency: Schema.optionalWith(Schema.NullOr(Concurrency), { exact: true }),
  rateLimit: Schema.optionalWith(Schema.NullOr(RateLimit), { exact: true }),
}).annotations({
  identifier: "QueueSettingsPatch",
  description: "settings to change; a field left out keeps its value, null removes a limit",
  ...objectExpected("a queue settings object { paused, concurrency, rateLimit }"),
});
export type QueueSettingsPatch = typeof QueueSettingsPatch.Type;

export const queueDefaults = (name: string): QueueSettings => ({
  name,
  paused: false,
  concurrency: null,
  rateLimit: null,
});

export const applyPatch = (s: QueueSettings, p: QueueSettingsPatch): QueueSettings => ({
  name: s.name,
  paused: p.paused ?? s.paused,
  concurrency: p.concurrency !== undefined ? p.concurrency : s.concurrency,
  rateLimit: p.rateLimit !== undefined ? p.rateLimit : s.rateLimit,
});
