/**
 * The worker actor's shortcut steps (actors/worker-shortcut.ts) against the machine.
 *
 * fast-check drives two workers through the same random message sequences (registrations,
 * heartbeats, jobs assigned and finished, drains, goodbyes, ticks before and after the
 * deadline, recoveries), a heartbeat before each message, with a clock that never goes back:
 * one through the machine alone, one taking the shortcut wherever it answers. After every
 * message both must have emitted the same effects and hold the same persisted snapshot. And
 * the shortcut must answer for every heartbeat in a state a heartbeat only refreshes, and for
 * every job assigned to or finished on a busy worker that stays busy (so the hot steps really
 * are the short ones, not silently skipped).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorkerMessage } from "../actors/worker.ts";
import { workerShortcut } from "../actors/worker-shortcut.ts";
import { makeDriver } from "../src/runtime/behaviour.ts";
import { workerBehaviour } from "../src/runtime/kinds.ts";

const { shortcut: _, ...withoutShortcut } = workerBehaviour;
const machineOnly = makeDriver(withoutShortcut);
const withShortcut = makeDriver(workerBehaviour);
const timeoutMs = 1_000;
const jobIds = ["j1", "j2", "j3"];

type Step = (at: number) => WorkerMessage;
const step: fc.Arbitrary<[number, Step]> = fc.tuple(
  fc.integer({ min: 0, max: 1_500 }),
  fc.oneof(
    fc.subarray(jobIds).map((jobs): Step => (at) => ({ type: "registered", at, jobs })),
    fc.constant((at: number): WorkerMessage => ({ type: "heartbeat", at })),
    fc.constantFrom(...jobIds).map((jobId): Step => (at) => ({ type: "job_assigned", at, jobId })),
    fc.constantFrom(...jobIds).map((jobId): Step => (at) => ({ type: "job_finished", at, jobId })),
    fc.constant((at: number): WorkerMessage => ({ type: "drain", at })),
    fc.constant((at: number): WorkerMessage => ({ type: "left", at })),
    fc.constant((at: number): WorkerMessage => ({ type: "tick", at })),
    fc.subarray(jobIds).map((jobs): Step => (at) => ({ type: "jobs_recovered", at, jobs })),
  ),
);

const staysBusy = (value: unknown, jobs: ReadonlyArray<string>, m: WorkerMessage): boolean =>
  typeof value === "object" &&
  (value as { connected?: string }).connected === "busy" &&
  (m.type === "job_assigned" ||
    (m.type === "job_finished" && !(jobs.length > 0 && jobs.every((j) => j === m.jobId))));

describe("worker actor shortcut", () => {
  it("steps exactly as the machine does, and takes every hot step", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let at = 1_700_000_000_000;
        const input = { workerId: "w1", heartbeatTimeoutMs: timeoutMs, at };
        // Two actors fed the same messages, a heartbeat before each: one through the machine
        // alone, one taking the shortcut wherever it answers.
        let plain = machineOnly.initial(input).snapshot;
        let fast = withShortcut.initial(input).snapshot;
        for (const [dt, make] of steps) {
          at += dt;
          const value = fast.value;
          const onlyRefreshes =
            fast.status === "active" &&
            (value === "draining" ||
              (typeof value === "object" &&
                (value.connected === "idle" || value.connected === "busy")));
          const beat = { type: "heartbeat" as const, at };
          expect(workerShortcut(fast, beat) !== undefined).toBe(onlyRefreshes);
          for (const message of [beat, make(at)]) {
            if (message.type !== "heartbeat" && fast.status === "active") {
              const expected = staysBusy(fast.value, fast.context.jobs, message);
              expect(workerShortcut(fast, message) !== undefined).toBe(expected);
            }
            const a = machineOnly.step(plain, message);
            const b = withShortcut.step(fast, message);
            expect(b.effects).toEqual(a.effects);
            expect(withShortcut.persist(b.snapshot)).toEqual(machineOnly.persist(a.snapshot));
            plain = a.snapshot;
            fast = b.snapshot;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
