/**
 * Retry policy: how many attempts a job gets and how long it waits between them.
 *
 * The delay before attempt n+1 is `initialDelayMs * multiplier^(n-1)`, capped at `maxDelayMs`,
 * then jittered: a fraction `jitter` of it is replaced by a random share, so that jobs failing
 * together do not come back together. The random share is derived from the job id and the
 * attempt, so the machine that computes it stays pure and a replay computes the same deadline.
 */
import { Schema } from "effect";

export const RetryPolicy = Schema.Struct({
  maxAttempts: Schema.Int.pipe(Schema.between(1, 1000)),
  initialDelayMs: Schema.Int.pipe(Schema.between(0, 86_400_000)),
  multiplier: Schema.Number.pipe(Schema.between(1, 100)),
  maxDelayMs: Schema.Int.pipe(Schema.between(0, 86_400_000)),
  jitter: Schema.Number.pipe(Schema.between(0, 1)),
});
export type RetryPolicy = typeof RetryPolicy.Type;

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 1,
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0.2,
};

/** A stable number in [0, 1) from a string: FNV-1a, 32 bits. */
export const unitHash = (key: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000;
};

/** Milliseconds to wait after `attempt` (1-based) failed, before the next attempt is queued. */
export const backoffDelayMs = (policy: RetryPolicy, attempt: number, seed: string): number => {
  const exp = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exp);
  const jittered =
    capped * (1 - policy.jitter) + capped * policy.jitter * unitHash(`${seed}:${attempt}`);
  return Math.round(jittered);
};

/**
 * An assignment that bounces — refused by the agent (full, draining), not accepted in time, or
 * its worker lost before it started — is placed again after a short backoff, at most this many
 * times over the job's life; the next bounce fails the job ("not started"). With the retry
 * policy it bounds a job's assignments: `attempt <= retry.maxAttempts + maxBounces`.
 */
export const maxBounces = 20;

/** The largest attempt number a job can reach: the most attempts a policy allows, plus bounces. */
export const maxAttemptNumber = 1000 + maxBounces;

/** The backoff after the `bounces`-th bounce: 100 ms doubling, at most 30 s, jittered 20%. */
export const bounceDelayMs = (bounces: number, seed: string): number =>
  backoffDelayMs(
    { maxAttempts: 1, initialDelayMs: 100, multiplier: 2, maxDelayMs: 30_000, jitter: 0.2 },
    bounces,
    `${seed}:bounce`,
  );
