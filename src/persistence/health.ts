/**
 * A store's health: whether its last writes went through. A store fault (a full disk, an I/O
 * error, a lost database connection, a lost store lock) fails the writes it touches with a
 * StoreError; the supervisor stays up, reports itself not ready while the store fails, and
 * goes on by itself once a write succeeds again (the runtime retries its commits, and
 * `probe` tries a small write while nothing else does).
 *
 * Glossary:
 * - `ok`: the last write (or probe) succeeded.
 * - `error`: why the store fails, for the operator (`null` when ok).
 * - `since`: when the current condition began (epoch ms): failing since, or healthy since.
 * - `fatal`: the store will not recover by itself (another supervisor took its lock): the
 *   process must stop.
 */
export interface StoreHealth {
  readonly ok: boolean;
  readonly error: string | null;
  readonly since: number;
  readonly fatal: boolean;
}

export interface HealthTracker {
  readonly get: () => StoreHealth;
  /** When a write last succeeded or failed (epoch ms). */
  readonly lastWrite: () => number;
  /** A write (or probe) went through. Ignored once fatal. */
  readonly succeeded: () => void;
  /** A write failed because of the store, not the request. */
  readonly failed: (error: string) => void;
  /** The store must not be used any more. */
  readonly fatal: (error: string) => void;
}

export const makeHealthTracker = (now: () => number = Date.now): HealthTracker => {
  let health: StoreHealth = { ok: true, error: null, since: now(), fatal: false };
  let last = 0;
  return {
    get: () => health,
    lastWrite: () => last,
    succeeded: () => {
      last = now();
      if (!health.ok && !health.fatal) {
        health = { ok: true, error: null, since: now(), fatal: false };
      }
    },
    failed: (error) => {
      last = now();
      if (health.fatal) return;
      health = { ok: false, error, since: health.ok ? now() : health.since, fatal: false };
    },
    fatal: (error) => {
      health = { ok: false, error, since: health.fatal ? health.since : now(), fatal: true };
    },
  };
};

/** A cause as one line for `error`. */
export const describeCause = (cause: unknown): string =>
  cause instanceof Error ? cause.message || cause.name : String(cause);

/**
 * While the store fails and nothing else writes (nothing tells whether it came back), tries
 * `probe` every `everyMs`: a small write of the adapter's. Returns what stops it.
 */
export const keepProbing = (
  health: HealthTracker,
  probe: () => Promise<unknown>,
  everyMs = 1000,
): (() => void) => {
  let running = false;
  const timer = setInterval(() => {
    const h = health.get();
    if (h.ok || h.fatal || running || Date.now() - health.lastWrite() < everyMs) return;
    running = true;
    probe()
      .then(
        () => health.succeeded(),
        (e: unknown) => health.failed(describeCause(e)),
      )
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
