/**
 * A token bucket for rate limits: `max` tokens; a placement takes one; a token taken at `t`
 * comes back at `t + perMs`. So in any window of `perMs` (half-open, `[a, a + perMs)`) at most
 * `max` tokens are taken, and when fewer than `max` were taken in the last `perMs` a token is
 * there. (A bucket refilled at a steady `max / perMs` would let `2 × max` through a window
 * that straddles a full bucket and its refill: not what "10 per second" promises.)
 *
 * Time is whatever clock the caller reads (the scheduler passes its `now`): nothing here reads
 * the system clock, so tests drive it with a test clock. Memory: the times of the tokens out,
 * at most `max` numbers.
 */
export class TokenBucket {
  /** When each token out was taken, oldest first, from `head` on. */
  private taken: number[] = [];
  private head = 0;

  constructor(
    private max: number,
    private perMs: number,
  ) {}

  /** New limits; tokens already out still count, and come back `perMs` (the new one) after. */
  reconfigure(max: number, perMs: number): void {
    this.max = max;
    this.perMs = perMs;
  }

  get limits(): { readonly max: number; readonly perMs: number } {
    return { max: this.max, perMs: this.perMs };
  }

  /** Tokens out now (taken less than `perMs` ago). */
  out(now: number): number {
    this.expire(now);
    return this.taken.length - this.head;
  }

  available(now: number): boolean {
    return this.out(now) < this.max;
  }

  /** Takes a token if there is one. */
  tryTake(now: number): boolean {
    if (!this.available(now)) return false;
    this.taken.push(now);
    return true;
  }

  /** When the next token is there: `now` if one is. */
  nextSlotAt(now: number): number {
    const out = this.out(now);
    if (out < this.max) return now;
    // The oldest token that must come back before one is free again.
    return this.taken[this.head + (out - this.max)]! + this.perMs;
  }

  /** No token out: the bucket is as a new one, and can be dropped. */
  idle(now: number): boolean {
    return this.out(now) === 0;
  }

  private expire(now: number): void {
    const taken = this.taken;
    while (this.head < taken.length && taken[this.head]! + this.perMs <= now) this.head++;
    if (this.head > 64 && this.head * 2 > taken.length) {
      this.taken = taken.slice(this.head);
      this.head = 0;
    }
  }
}
