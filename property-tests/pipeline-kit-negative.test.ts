/**
 * `hodei/testing` can fail: deliberately wrong pipelines are reported by `checkPipeline`, which
 * throws a `PipelineCheckFailed` naming the broken property, saying why, and printing the
 * trace of the smallest failing run fast-check found.
 */
import { assign, setup } from "xstate";
import { describe, expect, it } from "vitest";
import { fromMachine, type Pipeline } from "../src/pipeline/pipeline.ts";
import { runJob, type StepOutput } from "../src/pipeline/run-job.ts";
import {
  checkPipeline,
  PipelineCheckFailed,
  property,
  type CheckOptions,
} from "../src/testing/index.ts";

const job = (argv: string) => ({ command: { argv: [argv] } });
const invoke = (id: string, onDone: string, onError = "failed") => ({
  invoke: { id, src: "runJob" as const, input: job(id), onDone, onError },
});

/** What `checkPipeline` threw; fails the test if it did not throw. */
const failure = (p: Pipeline, options: CheckOptions = {}): PipelineCheckFailed => {
  try {
    checkPipeline(p, { numRuns: 100, ...options });
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineCheckFailed);
    return e as PipelineCheckFailed;
  }
  throw new Error(`checkPipeline("${p.name}") passed; it should have failed`);
};

describe("hodei/testing: wrong pipelines are reported", () => {
  it("a step started before its need: deploy does not wait for test", () => {
    const eager = fromMachine(
      "eager",
      setup({ actors: { runJob } }).createMachine({
        id: "eager",
        initial: "build",
        states: {
          build: invoke("build", "rest"),
          rest: {
            type: "parallel",
            onDone: "done",
            states: {
              test: {
                initial: "run",
                states: { run: invoke("test", "ok", "#eager.failed"), ok: { type: "final" } },
              },
              deploy: {
                initial: "run",
                states: { run: invoke("deploy", "ok", "#eager.failed"), ok: { type: "final" } },
              },
            },
          },
          done: { type: "final" },
          failed: { type: "final" },
        },
      }),
      {
        plan: [
          { name: "build", needs: [] },
          { name: "test", needs: ["build"] },
          { name: "deploy", needs: ["test"] },
        ],
      },
    );
    const e = failure(eager);
    expect(e.property).toBe("needsRespected");
    expect(e.message).toContain('property "needsRespected" failed: deploy#1 was submitted at');
    expect(e.message).toContain('before its need "test" succeeded (test: running)');
    // The trace of the smallest run: test and deploy submitted together, right after build.
    expect(e.message).toMatch(
      /build#1 finished: succeeded\n.*test#1 submitted\n.*deploy#1 submitted/,
    );
    expect(e.message).toContain("seed:");
  });

  it("a loop that never stops", () => {
    const forever = fromMachine(
      "forever",
      setup({ actors: { runJob } }).createMachine({
        id: "forever",
        initial: "build",
        states: {
          build: invoke("build", "done", "pause"),
          pause: { after: { 100: "build" } },
          done: { type: "final" },
        },
      }),
    );
    const e = failure(forever, { maxEvents: 300 });
    expect(e.property).toBe("terminates");
    expect(e.message).toContain("the run did not end within 300 events");
    expect(e.message).toMatch(/… \d+ more events …/);
    expect(e.run?.termination).toBe("exhausted");
    expect(e.scenario?.attempts.build?.every((a) => a.outcome !== "succeeded")).toBe(true);
  });

  it("a wait for a signal with no timeout", () => {
    const waits = fromMachine(
      "waits",
      setup({ actors: { runJob } }).createMachine({
        id: "waits",
        initial: "awaiting",
        states: {
          awaiting: { on: { approve: "deploy" } },
          ...{ deploy: invoke("deploy", "done", "done") },
          done: { type: "final" },
        },
      }),
    );
    const e = failure(waits, { signals: [{ type: "approve" }] });
    expect(e.property).toBe("terminates");
    expect(e.message).toContain("the run waits forever at 0");
    expect(e.scenario?.signals).toEqual([]);
  });

  it("a machine that throws on an output it did not expect", () => {
    const fragile = fromMachine(
      "fragile",
      setup({ actors: { runJob } }).createMachine({
        id: "fragile",
        initial: "build",
        context: { version: "" },
        states: {
          build: {
            invoke: {
              id: "build",
              src: "runJob",
              input: job("make"),
              onDone: {
                target: "done",
                actions: assign({
                  version: ({ event }) =>
                    (
                      (event as { output: StepOutput }).output.outputs.version as string
                    ).toUpperCase(),
                }),
              },
              onError: "failed",
            },
          },
          done: { type: "final" },
          failed: { type: "final" },
        },
      }),
    );
    const e = failure(fragile);
    expect(e.property).toBe("machineDoesNotThrow");
    expect(e.message).toContain("Cannot read properties of undefined (reading 'toUpperCase')");
  });

  it("a context that does not survive a restart (JSON)", () => {
    const dated = fromMachine(
      "dated",
      setup({ actors: { runJob } }).createMachine({
        id: "dated",
        initial: "build",
        context: () => ({ since: new Date(0) }),
        states: {
          build: invoke("build", "check", "check"),
          check: {
            always: { target: "done", guard: ({ context }) => context.since.getTime() >= 0 },
          },
          done: { type: "final" },
        },
      }),
    );
    // Restarts fall in the first 500 ms, while build runs: its context is then restored from JSON.
    const e = failure(dated, { numRuns: 300, horizonMs: 500 });
    expect(e.property).toBe("machineDoesNotThrow");
    expect(e.message).toContain("getTime is not a function");
    expect(e.message).toContain("supervisor restarted");
  });

  it("a property of your own that does not hold", () => {
    const seq = fromMachine(
      "seq",
      setup({ actors: { runJob } }).createMachine({
        id: "seq",
        initial: "build",
        states: {
          build: invoke("build", "done"),
          done: { type: "final" },
          failed: { type: "final" },
        },
      }),
    );
    const e = failure(seq, {
      properties: [property("always succeeds", (run) => run.outcome === "succeeded")],
    });
    expect(e.property).toBe("always succeeds");
    expect(e.message).toContain('property "always succeeds" failed: the check returned false');
  });

  it("a plan that names a step the machine never runs", () => {
    const p = fromMachine(
      "typo",
      setup({ actors: { runJob } }).createMachine({
        id: "typo",
        initial: "build",
        states: {
          build: invoke("build", "done"),
          done: { type: "final" },
          failed: { type: "final" },
        },
      }),
      { plan: [{ name: "biuld", needs: [] }] },
    );
    expect(() => checkPipeline(p)).toThrow(`the plan's step "biuld" is never invoked`);
  });
});
