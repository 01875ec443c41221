/**
 * The built-in properties can fail: each is given runs that break it (written by hand, since the
 * real actors do not break most of them) and runs that keep it, and says what went wrong.
 * Then `property` and `firstBroken` for a user's own checks.
 */
import { describe, expect, it } from "vitest";
import {
  builtinProperties,
  firstBroken,
  property,
  scenario,
  type PipelineProperty,
  type SimulatedRun,
  type TraceEvent,
} from "../src/testing/index.ts";

const run = (trace: ReadonlyArray<TraceEvent>, more: Partial<SimulatedRun> = {}): SimulatedRun => ({
  pipeline: { name: "p" },
  scenario: scenario(),
  trace,
  termination: "ended",
  outcome: "succeeded",
  reason: null,
  output: null,
  steps: {},
  jobs: [],
  endedAt: trace.at(-1)?.at ?? 0,
  events: trace.length,
  ...more,
});

const ref = (step: string, invocation = 1) => ({ step, invocation });
const created = (at: number, step: string, jobId: string, maxAttempts = 1): TraceEvent => ({
  type: "created",
  at,
  ...ref(step),
  jobId,
  maxAttempts,
  timeoutMs: null,
});
const attempt = (at: number, step: string, jobId: string, n: number): TraceEvent => ({
  type: "attempt",
  at,
  ...ref(step),
  jobId,
  attempt: n,
  planned: "failed",
});
const ended = (
  at: number,
  step: string,
  jobId: string,
  state: "succeeded" | "failed" | "cancelled",
  attempts = 1,
): TraceEvent => ({
  type: "job_ended",
  at,
  ...ref(step),
  jobId,
  state,
  attempts,
  message: null,
  outputs: null,
});

const broken = (p: PipelineProperty, r: SimulatedRun) => firstBroken(r, [p])?.message;

describe("builtinProperties", () => {
  it("terminates: a run that never stops, or waits forever", () => {
    const { terminates } = builtinProperties;
    expect(broken(terminates, run([], { termination: "exhausted", events: 9 }))).toContain(
      "did not end within 9 events",
    );
    expect(broken(terminates, run([], { termination: "stuck" }))).toContain("waits forever");
    expect(broken(terminates, run([]))).toBeUndefined();
  });

  it("needsRespected: a step submitted before its need succeeded", () => {
    const plan = [
      { name: "test", needs: [] },
      { name: "deploy", needs: ["test"] },
    ];
    const early: TraceEvent[] = [
      { type: "submitted", at: 0, ...ref("test") },
      { type: "submitted", at: 0, ...ref("deploy") },
    ];
    const r = run(early, { pipeline: { name: "p", plan } });
    expect(broken(builtinProperties.needsRespected, r)).toBe(
      'deploy#1 was submitted at 0 before its need "test" succeeded (test: running)',
    );
    const inOrder: TraceEvent[] = [
      early[0]!,
      { type: "finished", at: 5, ...ref("test"), state: "succeeded" },
      { type: "submitted", at: 5, ...ref("deploy") },
      // A second invocation of test resets it: deploy must wait for that one too.
      { type: "submitted", at: 6, ...ref("test", 2) },
    ];
    expect(
      broken(builtinProperties.needsRespected, run(inOrder, { pipeline: { name: "p", plan } })),
    ).toBeUndefined();
    const again = [...inOrder, { type: "submitted", at: 7, ...ref("deploy", 2) } as const];
    expect(
      broken(builtinProperties.needsRespected, run(again, { pipeline: { name: "p", plan } })),
    ).toContain("deploy#2 was submitted at 7");
  });

  it("retriesHonoured: too many runs, or a failure with attempts left", () => {
    const { retriesHonoured } = builtinProperties;
    const tooMany = [created(0, "b", "j", 2), ...[1, 2, 3].map((n) => attempt(n, "b", "j", n))];
    expect(broken(retriesHonoured, run(tooMany))).toBe(
      "b#1 j ran 3 times, more than its 2 attempts",
    );
    const gaveUp = [created(0, "b", "j", 2), attempt(1, "b", "j", 1), ended(2, "b", "j", "failed")];
    expect(broken(retriesHonoured, run(gaveUp))).toBe(
      "b#1 j ended failed after 1 of its 2 attempts",
    );
    const cancelled = [
      created(0, "b", "j", 2),
      attempt(1, "b", "j", 1),
      ended(2, "b", "j", "cancelled"),
    ];
    expect(broken(retriesHonoured, run(cancelled))).toBeUndefined();
  });

  it("cancelStopsEverything: a submit after the cancel, a job left running, another outcome", () => {
    const { cancelStopsEverything } = builtinProperties;
    const before: TraceEvent[] = [
      { type: "submitted", at: 0, ...ref("b") },
      created(0, "b", "j"),
      { type: "cancel", at: 10 },
    ];
    const orphan = [...before, ended(20, "b", "j", "succeeded")];
    expect(broken(cancelStopsEverything, run(orphan, { outcome: "cancelled" }))).toBe(
      "b#1 j ended succeeded at 20, not cancelled, though the run was cancelled at 10",
    );
    const sameInstant = [...before, ended(10, "b", "j", "succeeded")];
    expect(
      broken(cancelStopsEverything, run(sameInstant, { outcome: "cancelled" })),
    ).toBeUndefined();
    const submittedAfter = [...before, { type: "submitted", at: 11, ...ref("c") } as const];
    expect(broken(cancelStopsEverything, run(submittedAfter, { outcome: "cancelled" }))).toContain(
      "c#1 was submitted at 11",
    );
    const stopped = [...before, ended(30, "b", "j", "cancelled")];
    expect(broken(cancelStopsEverything, run(stopped))).toContain("the run ended succeeded");
    expect(broken(cancelStopsEverything, run(stopped, { outcome: "cancelled" }))).toBeUndefined();
  });

  it("stoppedStepsAreCancelled: a job that runs on after its step stopped", () => {
    const trace: TraceEvent[] = [
      created(0, "b", "j"),
      { type: "stopped", at: 5, ...ref("b"), jobId: "j" },
      ended(9, "b", "j", "failed"),
    ];
    expect(broken(builtinProperties.stoppedStepsAreCancelled, run(trace))).toBe(
      "b#1 j ended failed at 9, not cancelled, though its step stopped at 5",
    );
  });

  it("machineDoesNotThrow: a run failed by its machine", () => {
    const reason = "the pipeline machine failed: boom";
    expect(
      broken(builtinProperties.machineDoesNotThrow, run([], { outcome: "failed", reason })),
    ).toBe(reason);
    const own = 'the pipeline ended in its "failed" state';
    expect(broken(builtinProperties.machineDoesNotThrow, run([], { reason: own }))).toBeUndefined();
  });
});

describe("property and firstBroken", () => {
  it("report the first property a run breaks, by returning false or throwing", () => {
    const ok = property("ok", () => true);
    const no = property("no", () => false);
    const throws = property("throws", () => {
      expect(1).toBe(2);
    });
    expect(firstBroken(run([]), [ok])).toBeUndefined();
    expect(firstBroken(run([]), [ok, no, throws])).toEqual({
      property: "no",
      message: "the check returned false",
    });
    expect(firstBroken(run([]), [throws, no])).toMatchObject({
      property: "throws",
      message: expect.stringContaining("expected 1 to be 2"),
    });
  });
});
