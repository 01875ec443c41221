/**
 * The job actor's shortcut steps (actors/job-shortcut.ts) against the machine.
 *
 * Two job actors are fed the same random messages — placements, starts, results of every kind
 * for the current attempt and for others, rejections, cancels, lost workers, ticks before and
 * after deadlines — with a clock that never goes back: one through the machine alone, one
 * taking the shortcut wherever it answers. After every message both must have emitted the same
 * effects and hold the same persisted snapshot, deadline and doneness; and the shortcut must
 * have answered for every placement, current-attempt start and current-attempt success that
 * the machine took (so the hot path really is the short one).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JobMessage } from "../actors/job.ts";
import { jobShortcut } from "../actors/job-shortcut.ts";
import { makeDriver } from "../src/runtime/behaviour.ts";
import { jobBehaviour } from "../src/runtime/kinds.ts";

const { shortcut: _, startShortcut: __, ...withoutShortcut } = jobBehaviour;
const machineOnly = makeDriver(withoutShortcut);
const withShortcut = makeDriver(jobBehaviour);

type Make = (at: number, attempt: number) => JobMessage;
const attemptOffset = fc.constantFrom(0, 0, 0, 1, -1);
const message: fc.Arbitrary<[number, number, Make]> = fc.tuple(
  fc.integer({ min: 0, max: 3_000 }),
  attemptOffset,
  fc.oneof(
    fc
      .constantFrom("w1", "w2")
      .map((workerId): Make => (at) => ({ type: "schedule", at, workerId, acceptBy: at + 1_000 })),
    fc.constant((at: number, attempt: number): JobMessage => ({ type: "started", at, attempt })),
    fc
      .record({ exitCode: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }) })
      .map(({ exitCode }): Make => (at, attempt) => ({
        type: "succeeded",
        at,
        attempt,
        ...(exitCode === undefined ? {} : { exitCode }),
        output: { n: at },
      })),
    fc.constant((at: number, attempt: number): JobMessage => ({
      type: "failed",
      at,
      attempt,
      error: "x",
    })),
    fc.constant((at: number, attempt: number): JobMessage => ({ type: "timed_out", at, attempt })),
    fc.constant((at: number, attempt: number): JobMessage => ({
      type: "rejected",
      at,
      attempt,
      reason: "full",
    })),
    fc.constant((at: number, attempt: number): JobMessage => ({ type: "cancelled", at, attempt })),
    fc.constant((at: number): JobMessage => ({ type: "cancel", at })),
    fc
      .constantFrom("w1", "w2")
      .map((workerId): Make => (at) => ({ type: "worker_lost", at, workerId })),
    fc.constant((at: number): JobMessage => ({ type: "tick", at })),
  ),
);

const hot = (value: unknown, m: JobMessage, attempt: number): boolean =>
  (value === "queued" && m.type === "schedule") ||
  (value === "scheduled" && m.type === "started" && m.attempt === attempt) ||
  ((value === "scheduled" || value === "running") &&
    m.type === "succeeded" &&
    m.attempt === attempt);

describe("job actor shortcut", () => {
  it("steps exactly as the machine does, and takes every hot step", () => {
    fc.assert(
      fc.property(
        fc.record({
          maxAttempts: fc.integer({ min: 1, max: 3 }),
          timeoutMs: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: null }),
        }),
        fc.array(message, { maxLength: 30 }),
        ({ maxAttempts, timeoutMs }, messages) => {
          let at = 1_700_000_000_000;
          const input = {
            jobId: "01JOB",
            retry: {
              maxAttempts,
              initialDelayMs: 100,
              multiplier: 2,
              maxDelayMs: 1_000,
              jitter: 0,
            },
            timeoutMs,
            cancelGraceMs: 500,
            at,
          };
          const first = [machineOnly.initial(input), withShortcut.initial(input)] as const;
          expect(first[1].effects).toEqual(first[0].effects);
          expect(withShortcut.persist(first[1].snapshot)).toEqual(
            machineOnly.persist(first[0].snapshot),
          );
          let plain = first[0].snapshot;
          let fast = first[1].snapshot;
          for (const [dt, offset, make] of messages) {
            at += dt;
            const m = make(at, fast.context.attempt + offset);
            const expectedHot =
              fast.status === "active" && hot(fast.value, m, fast.context.attempt);
            expect(jobShortcut(fast, m) !== undefined).toBe(expectedHot);
            const a = machineOnly.step(plain, m);
            const b = withShortcut.step(fast, m);
            expect(b.effects).toEqual(a.effects);
            expect(withShortcut.persist(b.snapshot)).toEqual(machineOnly.persist(a.snapshot));
            expect(withShortcut.deadline(b.snapshot)).toBe(machineOnly.deadline(a.snapshot));
            expect(withShortcut.isDone(b.snapshot)).toBe(machineOnly.isDone(a.snapshot));
            plain = a.snapshot;
            fast = b.snapshot;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
