/**
 * `simulatePipeline` on scenarios written by hand: exact traces on the virtual clock for the
 * happy path, retries with backoff, hiccups, timeouts, refused specs, cancels (confirmed, and
 * past the grace period), signals, a pipeline timer, restarts, and the two ways a run does not
 * end. Plus the race the simulator finds in the supervisor's pipeline host, as it stands.
 */
import { setup } from "xstate";
import { describe, expect, it } from "vitest";
import { fromMachine } from "../src/pipeline/pipeline.ts";
import { runJob } from "../src/pipeline/run-job.ts";
import {
  attempt,
  builtinProperties,
  firstBroken,
  scenario,
  simulatePipeline,
  type SimulatedRun,
} from "../src/testing/index.ts";

const retry = { maxAttempts: 3, initialDelayMs: 100, jitter: 0 };
const two = fromMachine(
  "two",
  setup({ actors: { runJob } }).createMachine({
    id: "two",
    initial: "build",
    states: {
      build: {
        invoke: {
          id: "build",
          src: "runJob",
          input: { command: { argv: ["make"] }, retry },
          onDone: "deploy",
          onError: "failed",
        },
      },
      deploy: {
        invoke: {
          id: "deploy",
          src: "runJob",
          input: { command: { argv: ["deploy"] }, timeoutMs: 50 },
          onDone: "done",
          onError: "failed",
        },
      },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
);

/** The trace as `at type step#n`, the fields a reader checks first. */
const lines = (run: SimulatedRun) =>
  run.trace.map((e) => `${e.at} ${e.type}${"step" in e ? ` ${e.step}#${e.invocation}` : ""}`);
const builtins = Object.values(builtinProperties);

describe("simulatePipeline", () => {
  it("runs the happy path on the virtual clock", () => {
    const run = simulatePipeline(two, scenario());
    expect(lines(run)).toEqual([
      "0 run_started",
      "0 submitted build#1",
      "0 created build#1",
      "0 started build#1",
      "0 attempt build#1",
      "1 job_ended build#1",
      "1 finished build#1",
      "1 submitted deploy#1",
      "1 created deploy#1",
      "1 started deploy#1",
      "1 attempt deploy#1",
      "2 job_ended deploy#1",
      "2 finished deploy#1",
      "2 run_ended",
    ]);
    expect(run).toMatchObject({ termination: "ended", outcome: "succeeded", endedAt: 2 });
    expect(run.jobs.map((j) => [j.jobId, j.step, j.state, j.attempts])).toEqual([
      ["job-1", "build", "succeeded", 1],
      ["job-2", "deploy", "succeeded", 1],
    ]);
    expect(firstBroken(run, builtins)).toBeUndefined();
  });

  it("retries a job with its backoff, up to its attempts; a hiccup uses none", () => {
    const run = simulatePipeline(
      two,
      scenario({
        attempts: {
          build: [
            attempt({ outcome: "failed", durationMs: 10, exitCode: 2 }),
            attempt({ outcome: "worker_lost", durationMs: 5 }),
            attempt({ durationMs: 20, outputs: { artifact: "a.tgz" } }),
          ],
          deploy: [attempt({ hiccup: "rejected", startMs: 3 })],
        },
      }),
    );
    const retries = run.trace.filter((e) => e.type === "retrying");
    expect(retries.map((e) => [e.at, e.until, e.after])).toEqual([
      [10, 110, "exit code 2"],
      [115, 315, "the worker was lost"],
    ]);
    const build = run.trace.find((e) => e.type === "job_ended" && e.step === "build");
    expect(build).toMatchObject({ at: 335, state: "succeeded", attempts: 3 });
    expect(build).toMatchObject({ outputs: { artifact: "a.tgz" } });
    expect(run.trace.filter((e) => e.type === "requeued")).toMatchObject([
      { at: 338, step: "deploy", reason: "declined by the agent" },
    ]);
    expect(run.jobs.find((j) => j.step === "deploy")).toMatchObject({
      attempts: 1,
      maxAttempts: 1,
    });
    expect(run.outcome).toBe("succeeded");
  });

  it("times a run out at the job's timeoutMs; without one, a timeout is a kill", () => {
    const late = simulatePipeline(
      two,
      scenario({ attempts: { deploy: [attempt({ durationMs: 500 })] } }),
    );
    expect(late.trace.find((e) => e.type === "job_ended" && e.step === "deploy")).toMatchObject({
      at: 51,
      state: "timed_out",
    });
    expect(late.steps.deploy).toMatchObject({ state: "failed", error: "timed out on the agent" });
    expect(late.outcome).toBe("failed");

    const killed = simulatePipeline(
      two,
      scenario({ attempts: { build: [attempt({ outcome: "timed_out", durationMs: 7 })] } }),
    );
    expect(killed.jobs[0]).toMatchObject({ state: "failed", attempts: 3 });
    expect(killed.steps.build?.error).toBe("killed");
  });

  it("refuses an invalid spec the way the supervisor does: the step finishes invalid", () => {
    const bad = fromMachine(
      "bad",
      setup({ actors: { runJob } }).createMachine({
        id: "bad",
        initial: "build",
        states: {
          build: {
            invoke: {
              id: "build",
              src: "runJob",
              input: { command: { argv: [] } } as never,
              onDone: "done",
              onError: "failed",
            },
          },
          done: { type: "final" },
          failed: { type: "final" },
        },
      }),
    );
    const run = simulatePipeline(bad, scenario());
    expect(run.trace.find((e) => e.type === "invalid")).toMatchObject({
      step: "build",
      message: expect.stringContaining("command.argv"),
    });
    expect(run.trace.find((e) => e.type === "finished")).toMatchObject({ state: "invalid" });
    expect(run.jobs).toEqual([]);
    expect(run.outcome).toBe("failed");
    expect(firstBroken(run, builtins)).toBeUndefined();
  });

  it("cancels: the agent confirms, or the grace period ends the job", () => {
    const long = { build: [attempt({ durationMs: 1_000, stopMs: 30 })] };
    const confirmed = simulatePipeline(two, scenario({ attempts: long, cancelAt: 100 }));
    expect(confirmed.outcome).toBe("cancelled");
    expect(confirmed.trace.filter((e) => e.type === "cancel_requested")).toMatchObject([
      { at: 100, step: "build", jobId: "job-1" },
    ]);
    expect(confirmed.jobs[0]).toMatchObject({ state: "cancelled", endedAt: 130 });

    const slow = { build: [attempt({ durationMs: 1_000, stopMs: 1_000 })] };
    const graced = simulatePipeline(two, scenario({ attempts: slow, cancelAt: 100 }), {
      cancelGraceMs: 50,
    });
    expect(graced.jobs[0]).toMatchObject({ state: "cancelled", endedAt: 150 });
    expect(firstBroken(graced, builtins)).toBeUndefined();
  });

  it("sends a signal only when the machine accepts it; its timers fire on the clock", () => {
    const approval = fromMachine(
      "approval",
      setup({ actors: { runJob } }).createMachine({
        id: "approval",
        initial: "build",
        states: {
          build: {
            invoke: {
              id: "build",
              src: "runJob",
              input: { command: { argv: ["make"] } },
              onDone: "awaiting",
            },
          },
          awaiting: { on: { approve: "done" }, after: { 5_000: "failed" } },
          done: { type: "final" },
          failed: { type: "final" },
        },
      }),
    );
    const build = { build: [attempt({ durationMs: 100 })] };
    const early = [{ at: 50, event: { type: "approve" } }];
    const timedOut = simulatePipeline(approval, scenario({ attempts: build, signals: early }));
    expect(timedOut.trace.find((e) => e.type === "signal")).toMatchObject({
      at: 50,
      accepted: false,
    });
    expect(timedOut).toMatchObject({ outcome: "failed", endedAt: 5_100 });

    const onTime = [{ at: 3_000, event: { type: "approve" } }];
    const approved = simulatePipeline(approval, scenario({ attempts: build, signals: onTime }));
    expect(approved).toMatchObject({ outcome: "succeeded", endedAt: 3_000 });
  });

  it("survives a restart: a submit in flight is lost and resumed, a job is found again", () => {
    const run = simulatePipeline(
      two,
      scenario({
        attempts: { build: [attempt({ durationMs: 100 })] },
        restartAt: 10,
        latencyMs: 50,
      }),
    );
    expect(lines(run).slice(0, 4)).toEqual([
      "0 run_started",
      "0 submitted build#1",
      "10 restart",
      "60 created build#1",
    ]);
    expect(run.jobs).toHaveLength(2);
    expect(run.outcome).toBe("succeeded");

    // Restarted while build runs: resume re-submits it (its spec read back from the snapshot,
    // decoded again) and finds the same job by its key.
    const running = simulatePipeline(
      two,
      scenario({ attempts: { build: [attempt({ durationMs: 100 })] }, restartAt: 50 }),
    );
    expect(lines(running).slice(5, 7)).toEqual(["50 restart", "100 job_ended build#1"]);
    expect(running.jobs.map((j) => j.jobId)).toEqual(["job-1", "job-2"]);
    expect(running.outcome).toBe("succeeded");
  });

  it("tells a run that waits forever from one that never stops", () => {
    const waiting = fromMachine(
      "waiting",
      setup({}).createMachine({
        id: "waiting",
        initial: "idle",
        states: { idle: { on: { go: "idle" } } },
      }),
    );
    expect(simulatePipeline(waiting, scenario())).toMatchObject({
      termination: "stuck",
      outcome: "running",
    });
    const spinning = fromMachine(
      "spinning",
      setup({}).createMachine({
        id: "spinning",
        initial: "a",
        states: { a: { after: { 10: "b" } }, b: { after: { 10: "a" } } },
      }),
    );
    const run = simulatePipeline(spinning, scenario(), { maxEvents: 50 });
    expect(run).toMatchObject({ termination: "exhausted", events: 50, endedAt: 500 });
  });

  describe("the pipeline host's cancel race", () => {
    // The run is cancelled at the instant its first step's job is created: the job exists, its
    // `step_started` is queued behind the cancel. The actor ends, asking to cancel the step with
    // no job id; the host finds the job by its key and cancels it (the kit found the gap when
    // the host only remembered keys of submits still in flight).
    const race = scenario({ cancelAt: 0, latencyMs: 0 });

    it("leaves no job running after a run is cancelled", () => {
      const run = simulatePipeline(two, race);
      expect(run.jobs[0]).toMatchObject({ state: "cancelled" });
      expect(firstBroken(run, builtins)).toBeUndefined();
    });
  });
});
