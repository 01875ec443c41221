/**
 * What the kit reads of a pipeline and what it draws: the steps a machine invokes (nested and
 * parallel states too), a plan that does not match its machine, the scenarios fast-check draws
 * (one plan list per step and `*`, the user's outputs and signals, the options that turn
 * failures, cancels and restarts off), and a long trace shortened for a report.
 */
import fc from "fast-check";
import { setup } from "xstate";
import { describe, expect, it } from "vitest";
import { fromMachine } from "../src/pipeline/pipeline.ts";
import { runJob } from "../src/pipeline/run-job.ts";
import {
  anyStep,
  formatTrace,
  invokedSteps,
  planProblems,
  scenarioArbitrary,
  stepsOf,
  type TraceEvent,
} from "../src/testing/index.ts";

const run = (id: string) => ({ id, src: "runJob" as const, input: { command: { argv: [id] } } });
const machine = setup({ actors: { runJob } }).createMachine({
  id: "m",
  initial: "build",
  states: {
    build: { invoke: { ...run("build"), onDone: "checks" } },
    checks: {
      type: "parallel",
      onDone: "done",
      states: {
        test: {
          initial: "a",
          states: { a: { invoke: { ...run("test"), onDone: "b" } }, b: { type: "final" } },
        },
        lint: {
          initial: "a",
          states: { a: { invoke: { ...run("lint"), onDone: "b" } }, b: { type: "final" } },
        },
      },
    },
    again: { invoke: { ...run("build"), onDone: "done" } },
    done: { type: "final" },
  },
});

describe("the steps of a pipeline", () => {
  it("are the machine's runJob invocations, at any depth, once each, then the plan's", () => {
    expect(invokedSteps(machine)).toEqual(["build", "test", "lint"]);
    const planned = fromMachine("m", machine, { plan: [{ name: "extra", needs: [] }] });
    expect(stepsOf(planned)).toEqual(["build", "test", "lint", "extra"]);
  });

  it("must match the plan: every planned step invoked, every need planned", () => {
    const plan = [
      { name: "build", needs: [] },
      { name: "test", needs: ["build", "compile"] },
      { name: "deploy", needs: ["test"] },
    ];
    expect(planProblems(fromMachine("m", machine, { plan }))).toEqual([
      '"test" needs "compile", which the plan lacks',
      `the plan's step "deploy" is never invoked`,
    ]);
    expect(planProblems(fromMachine("m", machine))).toEqual([]);
  });
});

describe("scenarioArbitrary", () => {
  const pipeline = fromMachine("m", machine);

  it("draws plans for every step and for any other, with the user's outputs", () => {
    const arb = scenarioArbitrary(pipeline, {
      input: fc.record({ branch: fc.constantFrom("main", "dev") }),
      outputs: { test: fc.record({ coverage: fc.integer({ min: 0, max: 100 }) }) },
      signals: [{ type: "approve" }],
    });
    for (const s of fc.sample(arb, { numRuns: 200, seed: 7 })) {
      expect(Object.keys(s.attempts).sort()).toEqual([anyStep, "build", "lint", "test"].sort());
      expect(["main", "dev"]).toContain((s.input as { branch: string }).branch);
      for (const a of s.attempts.test ?? []) expect(Object.keys(a.outputs)).toEqual(["coverage"]);
      for (const sig of s.signals) expect(sig.event).toEqual({ type: "approve" });
      for (const plans of Object.values(s.attempts)) expect(plans.length).toBeGreaterThan(0);
    }
  });

  it("draws no failure, cancel, restart or signal when told not to", () => {
    const arb = scenarioArbitrary(pipeline, { failures: false, cancel: false, restart: false });
    for (const s of fc.sample(arb, { numRuns: 200, seed: 7 })) {
      expect(s).toMatchObject({ cancelAt: null, restartAt: null, signals: [] });
      for (const a of Object.values(s.attempts).flat()) {
        expect(a).toMatchObject({ outcome: "succeeded", hiccup: "none" });
      }
    }
  });

  it("draws every kind of run, and interventions within the horizon", () => {
    const samples = fc.sample(scenarioArbitrary(pipeline, { horizonMs: 500 }), {
      numRuns: 500,
      seed: 7,
    });
    const outcomes = new Set(
      samples.flatMap((s) =>
        Object.values(s.attempts)
          .flat()
          .map((a) => a.outcome),
      ),
    );
    expect([...outcomes].sort()).toEqual(["failed", "succeeded", "timed_out", "worker_lost"]);
    expect(samples.some((s) => s.cancelAt !== null)).toBe(true);
    expect(samples.some((s) => s.restartAt !== null)).toBe(true);
    for (const s of samples) {
      expect(s.cancelAt ?? 0).toBeLessThanOrEqual(500);
      expect(s.restartAt ?? 0).toBeLessThanOrEqual(500);
    }
  });
});

describe("formatTrace", () => {
  it("shows a long trace's beginning and end", () => {
    const trace: TraceEvent[] = Array.from({ length: 100 }, (_, i) => ({
      type: "submitted",
      at: i,
      step: "s",
      invocation: i + 1,
    }));
    const text = formatTrace(trace, 9);
    expect(text.split("\n")).toEqual([
      ...[1, 2, 3, 4, 5, 6].map((n) => `  ${String(n - 1).padStart(4)}  s#${n} submitted`),
      "        … 91 more events …",
      ...[98, 99, 100].map((n) => `  ${String(n - 1).padStart(4)}  s#${n} submitted`),
    ]);
    expect(formatTrace(trace).split("\n")).toHaveLength(100);
  });
});
