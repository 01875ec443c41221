/**
 * The worker actor's heartbeat shortcut (actors/worker-heartbeat.ts) against the machine.
 *
 * fast-check drives a worker through random message sequences (registrations, heartbeats, jobs
 * assigned and finished, drains, goodbyes, ticks before and after the deadline, recoveries),
 * with a clock that never goes back. Before each message, a heartbeat is stepped both ways from
 * the current snapshot: where the shortcut answers, its snapshot must persist to exactly what
 * the machine's does, with the machine emitting nothing; and the shortcut must answer in every
 * state a heartbeat only refreshes (so it is really taken, not silently skipped).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorkerMessage } from "../actors/worker.ts";
import { heartbeatShortcut } from "../actors/worker-heartbeat.ts";
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

describe("worker heartbeat shortcut", () => {
  it("steps a heartbeat exactly as the machine does, wherever it answers", () => {
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
          expect(heartbeatShortcut(fast, beat) !== undefined).toBe(onlyRefreshes);
          for (const message of [beat, make(at)]) {
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
