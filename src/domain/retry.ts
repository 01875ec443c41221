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
