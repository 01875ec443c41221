/**
 * Rate limits, on a test clock (a number the test moves; nothing reads the system clock):
 * - a token bucket never lets more than `max` through any window of `perMs`, and refuses only
 *   when `max` went through in the last `perMs` (so it lets up to `max` through when they are
 *   there); `nextSlotAt` is exactly when the next one goes;
 * - the scheduler, driven by its own `wakeAt` (what the actor's timer waits for), places jobs
 *   sharing a rate limit key no faster than the limit, and each as soon as the limit allows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TokenBucket } from "../src/scheduler/token-bucket.ts";
import { job, make } from "../test/fixtures/scheduler.ts";

const limits = fc.record({
  max: fc.integer({ min: 1, max: 12 }),
  perMs: fc.integer({ min: 1, max: 2_000 }),
});

/** Steps of the test clock, each followed by a burst of attempts. */
const steps = fc.array(
  fc.record({
    advance: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3_000 })),
    attempts: fc.integer({ min: 0, max: 15 }),
  }),
  { minLength: 1, maxLength: 80 },
);

/** Every window [t, t + perMs) holds at most max of the sorted times `granted`. */
const windowsHold = (granted: ReadonlyArray<number>, max: number, perMs: number) => {
  for (let i = 0; i + max < granted.length; i++) {
    expect(granted[i + max]! - granted[i]!).toBeGreaterThanOrEqual(perMs);
  }
};

describe("token bucket", () => {
  it("never more than max per window; refuses only a full window; nextSlotAt is exact", () => {
    fc.assert(
      fc.property(limits, steps, ({ max, perMs }, plan) => {
        const bucket = new TokenBucket(max, perMs);
        const granted: number[] = [];
        let now = 0;
        for (const { advance, attempts } of plan) {
          now += advance;
          for (let a = 0; a < attempts; a++) {
            const inWindow = granted.filter((t) => t > now - perMs).length;
            const next = bucket.nextSlotAt(now);
            if (bucket.tryTake(now)) {
              expect(inWindow).toBeLessThan(max);
              expect(next).toBe(now);
              granted.push(now);
            } else {
              // Refused: max went through in the last perMs, and the next goes when the oldest
              // of them is perMs old.
              expect(inWindow).toBe(max);
              const oldest = granted[granted.length - max]!;
              expect(next).toBe(oldest + perMs);
            }
          }
        }
        windowsHold(granted, max, perMs);
      }),
      { numRuns: 300 },
    );
  });

  it("new limits count the tokens already out", () => {
    fc.assert(
      fc.property(limits, limits, fc.integer({ min: 0, max: 12 }), (before, after, taken) => {
        const bucket = new TokenBucket(before.max, before.perMs);
        let n = 0;
        while (n < taken && bucket.tryTake(0)) n++;
        bucket.reconfigure(after.max, after.perMs);
        expect(bucket.available(0)).toBe(n < after.max);
        expect(bucket.nextSlotAt(0)).toBe(n < after.max ? 0 : after.perMs);
      }),
    );
  });
});

describe("scheduler with a rate limit key", () => {
  it("places no faster than the limit, and each job at the first slot, waking on wakeAt", () => {
    fc.assert(
      fc.property(
        limits,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 500 }),
        ({ max, perMs }, jobs, start) => {
          const s = make();
          s.handle({
            type: "register",
            workerId: "w",
            capacity: { cpuMillis: 1e6, memoryMb: 1e6, gpus: 0, maxJobs: 1000 },
            labels: {},
            handlers: [],
            at: 0,
          });
          const rateLimit = { key: "api.github", max, perMs };
          for (let i = 0; i < jobs; i++) {
            s.handle({ type: "enqueue", job: job(`j${i}`, { rateLimit, enqueuedAt: start }) });
          }
          const placedAt: number[] = [];
          let now = start;
          for (let pass = 0; pass < jobs + 2 && placedAt.length < jobs; pass++) {
            const placed = s.schedule(now);
            placedAt.push(...placed.map((p) => p.at));
            // As many as the window allows, in order.
            expect(placed.map((p) => p.jobId)).toEqual(
              Array.from(
                { length: placed.length },
                (_, i) => `j${placedAt.length - placed.length + i}`,
              ),
            );
            if (placedAt.length < jobs) {
              expect(placed).toHaveLength(pass === 0 ? Math.min(max, jobs) : placed.length);
              expect(Number.isFinite(s.wakeAt)).toBe(true);
              expect(s.explain(`j${placedAt.length}`, now)?.reason).toBe(
                `rate limited: key \`api.github\`, next slot in ${s.wakeAt - now} ms`,
              );
              now = s.wakeAt;
            }
          }
          expect(placedAt).toHaveLength(jobs);
          windowsHold(placedAt, max, perMs);
          // At the first slot: the k-th placement is exactly perMs after the (k - max)-th.
          for (let i = max; i < placedAt.length; i++) {
            expect(placedAt[i]! - placedAt[i - max]!).toBe(perMs);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
