/**
 * Supervision policy: an actor whose machine throws is restarted from its last committed
 * snapshot after a backoff; after `maxRestarts` within `windowMs` it is stopped and the
 * failure escalated to the system's owner. The message that made it throw is not retried:
 * it is handed to the dead-letter hook with the error, so one poisonous message cannot keep
 * an actor in a restart loop.
 */
export interface SupervisionPolicy {
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const defaultSupervision: SupervisionPolicy = {
  maxRestarts: 5,
  windowMs: 60_000,
  initialBackoffMs: 10,
  maxBackoffMs: 5_000,
};

export type RestartDecision =
  | { readonly _tag: "restart"; readonly at: number; readonly failures: ReadonlyArray<number> }
  | { readonly _tag: "escalate"; readonly failures: ReadonlyArray<number> };

/** Given the times of earlier failures and the time of this one, restart (when) or escalate. */
export const decideRestart = (
  policy: SupervisionPolicy,
  earlier: ReadonlyArray<number>,
  now: number,
): RestartDecision => {
  const failures = [...earlier.filter((t) => t > now - policy.windowMs), now];
  if (failures.length > policy.maxRestarts) return { _tag: "escalate", failures };
  const backoff = Math.min(
    policy.maxBackoffMs,
    policy.initialBackoffMs * 2 ** (failures.length - 1),
  );
  return { _tag: "restart", at: now + backoff, failures };
};
