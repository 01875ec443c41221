/**
 * Reconnect delays: exponential, capped, with full jitter (a uniformly random delay between 0
 * and the capped exponential), as in "Exponential Backoff and Jitter" (AWS Architecture Blog).
 *
 * Full jitter matters when a supervisor restarts: every agent loses its session at the same
 * instant, and without jitter they would all come back in the same few milliseconds, again and
 * again. Spread over the whole window, they arrive as a trickle the supervisor can absorb.
 *
 * Once a supervisor has told the agent its heartbeat timeout, the window is capped at a third
 * of it (`capAt`): a restarted supervisor waits one heartbeat timeout for the agents it knew
 * before it declares them lost, and an agent must be back within that time.
 */
export interface BackoffOptions {
  /** First window, in ms. Default 200. */
  readonly initialMs?: number;
  /** Largest window, in ms. Default 15,000. */
  readonly maxMs?: number;
}

export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private maxMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = options.initialMs ?? 200;
    this.maxMs = Math.max(options.maxMs ?? 15_000, this.initialMs);
  }

  /** The delay before the next attempt; each call widens the window until `maxMs`. */
  next(): number {
    const window = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.floor(this.random() * window);
  }

  /** Never a window over `ms` from now on (at least the first window). */
  capAt(ms: number): void {
    this.maxMs = Math.max(this.initialMs, Math.min(this.maxMs, Math.floor(ms)));
  }

  /** A session was established: the next failure starts from the first window again. */
  reset(): void {
    this.failures = 0;
  }
}

/** A delay that `signal` can cut short (resolves either way). */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
