/**
 * `hodei/testing` on hand-written pipelines: the kit's built-in properties and a few of a
 * user's own hold on correct pipelines (sequential, branching on an output, a loop with a
 * counter, an approval with a timeout, a fan-out), and `checkPipeline` fails, with a readable
 * trace, on wrong ones (a step started before its need, a loop that never stops, a wait with no
 * timeout, a machine that throws, a context that does not survive a restart, a false property).
 */
import fc from "fast-check";
import { assign, setup } from "xstate";
import { describe, expect, it } from "vitest";
import { fromMachine, type Pipeline } from "../src/pipeline/pipeline.ts";
import { runJob, type StepOutput } from "../src/pipeline/run-job.ts";
import {
  checkPipeline,
  makeSimulator,
  property,
  scenarioArbitrary,
  type CheckOptions,
  type SimulatedRun,
  type TraceEvent,
} from "hodei/testing";

const job = (argv: string, extra: object = {}) => ({ command: { argv: [argv] }, ...extra });
const outputsOf = (e: unknown) => (e as { output: StepOutput }).output.outputs;
const plan = (...steps: Array<[string, string[]]>) =>
  steps.map(([name, needs]) => ({ name, needs }));

const submitted = (run: SimulatedRun, step: string) =>
  run.trace.filter((e) => e.type === "submitted" && e.step === step);
type Ended = Extract<TraceEvent, { type: "job_ended" }>;
const endedJobs = (trace: ReadonlyArray<TraceEvent>, step: string) =>
  trace.filter((e): e is Ended => e.type === "job_ended" && e.step === step);

const sequential = fromMachine(
  "sequential",
  setup({ actors: { runJob } }).createMachine({
    id: "sequential",
    initial: "build",
    states: {
      build: {
        invoke: {
          id: "build",
          src: "runJob",
          input: job("make", { retry: { maxAttempts: 3, initialDelayMs: 100 } }),
          onDone: "test",
          onError: "failed",
        },
      },
      test: {
        invoke: {
          id: "test",
          src: "runJob",
          input: job("test", { timeoutMs: 500, retry: { maxAttempts: 2 } }),
          onDone: "deploy",
          onError: "failed",
        },
      },
      deploy: {
        invoke: {
          id: "deploy",
          src: "runJob",
          input: job("deploy"),
          onDone: "done",
          onError: "failed",
        },
      },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
  { plan: plan(["build", []], ["test", ["build"]], ["deploy", ["test"]]) },
);

const branching = fromMachine(
  "branching",
  setup({ actors: { runJob } }).createMachine({
    id: "branching",
    initial: "test",
    context: { coverage: 0 },
    output: ({ context }) => ({ coverage: context.coverage }),
    states: {
      test: {
        invoke: {
          id: "test",
          src: "runJob",
          input: job("test"),
          onDone: [
            {
              guard: ({ event }) => (outputsOf(event).coverage as number) >= 80,
              target: "deploy",
              actions: assign({ coverage: ({ event }) => outputsOf(event).coverage as number }),
            },
            { target: "report" },
          ],
          onError: "failed",
        },
      },
      deploy: {
        invoke: {
          id: "deploy",
          src: "runJob",
          input: job("deploy"),
          onDone: "done",
          onError: "failed",
        },
      },
      report: {
        invoke: {
          id: "report",
          src: "runJob",
          input: job("report"),
          onDone: "done",
          onError: "failed",
        },
      },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
);

const loop = fromMachine(
  "loop",
  setup({ actors: { runJob } }).createMachine({
    id: "loop",
    initial: "probe",
    context: { tries: 0 },
    output: ({ context }) => ({ tries: context.tries }),
    states: {
      probe: {
        entry: assign({ tries: ({ context }) => context.tries + 1 }),
        invoke: {
          id: "probe",
          src: "runJob",
          input: job("probe"),
          onDone: [
            { guard: ({ event }) => outputsOf(event).ready === true, target: "done" },
            { guard: ({ context }) => context.tries < 3, target: "pause" },
            { target: "failed" },
          ],
          onError: [
            { guard: ({ context }) => context.tries < 3, target: "pause" },
            { target: "failed" },
          ],
        },
      },
      pause: { after: { 200: "probe" } },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
);

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
          input: job("make"),
          onDone: "awaiting",
          onError: "failed",
        },
      },
      awaiting: { on: { approve: "deploy", reject: "failed" }, after: { 5000: "failed" } },
      deploy: {
        invoke: {
          id: "deploy",
          src: "runJob",
          input: job("deploy"),
          onDone: "done",
          onError: "failed",
        },
      },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
);

/** build, then test and lint in parallel, then deploy: a DAG written by hand. */
const region = (id: string) => ({
  initial: "running",
  states: {
    running: {
      invoke: {
        id,
        src: "runJob" as const,
        input: job(id),
        onDone: "ok",
        onError: "#fanout.failed",
      },
    },
    ok: { type: "final" as const },
  },
});
const fanOut = fromMachine(
  "fan-out",
  setup({ actors: { runJob } }).createMachine({
    id: "fanout",
    initial: "build",
    states: {
      build: {
        invoke: {
          id: "build",
          src: "runJob",
          input: job("make"),
          onDone: "checks",
          onError: "failed",
        },
      },
      checks: {
        type: "parallel",
        onDone: "deploy",
        states: { test: region("test"), lint: region("lint") },
      },
      deploy: {
        invoke: {
          id: "deploy",
          src: "runJob",
          input: job("deploy"),
          onDone: "done",
          onError: "failed",
        },
      },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
  {
    plan: plan(
      ["build", []],
      ["test", ["build"]],
      ["lint", ["build"]],
      ["deploy", ["test", "lint"]],
    ),
  },
);

const check = (p: Pipeline, options: CheckOptions = {}) =>
  checkPipeline(p, { numRuns: 100, ...options });

describe("hodei/testing: correct pipelines pass", () => {
  it("a sequential pipeline with retries and a timeout", () => {
    check(sequential, {
      properties: [
        property("a run that succeeded ran deploy once, after every other step", (run) => {
          if (run.outcome !== "succeeded") return true;
          return (
            submitted(run, "deploy").length === 1 && run.jobs.every((j) => j.state === "succeeded")
          );
        }),
      ],
    });
  });

  it("a pipeline branching on an output", () => {
    const coverage = (trace: ReadonlyArray<TraceEvent>) =>
      (endedJobs(trace, "test")[0]?.outputs as { coverage?: number } | undefined)?.coverage ?? -1;
    check(branching, {
      outputs: { test: fc.record({ coverage: fc.integer({ min: 0, max: 100 }) }) },
      properties: [
        property("deploys only with coverage of 80 or more, reports otherwise", (run) => {
          const c = coverage(run.trace);
          const deployed = submitted(run, "deploy").length > 0;
          const reported = submitted(run, "report").length > 0;
          return (!deployed || c >= 80) && (!reported || c < 80);
        }),
        property("a run that deployed outputs the coverage it deployed with", (run) => {
          if (run.outcome !== "succeeded" || submitted(run, "deploy").length === 0) return true;
          expect(run.output).toEqual({ coverage: coverage(run.trace) });
        }),
      ],
    });
  });

  it("a loop with a counter", () => {
    check(loop, {
      outputs: { probe: fc.record({ ready: fc.boolean() }) },
      properties: [
        property("probes at most 3 times, and says how often", (run) => {
          const probes = submitted(run, "probe").length;
          return (
            probes <= 3 &&
            (run.outcome !== "succeeded" ||
              (run.output as { tries?: number } | null)?.tries === probes)
          );
        }),
        property("succeeds only once a probe reported ready", (run) => {
          if (run.outcome !== "succeeded") return true;
          return endedJobs(run.trace, "probe").some(
            (e) => (e.outputs as { ready?: boolean } | null)?.ready === true,
          );
        }),
      ],
    });
  });

  it("an approval waiting for a signal, with a timeout", () => {
    check(approval, {
      signals: [{ type: "approve" }, { type: "reject" }],
      properties: [
        property("deploys only after an approval it accepted", (run) => {
          const i = run.trace.findIndex((e) => e.type === "submitted" && e.step === "deploy");
          return (
            i < 0 ||
            run.trace
              .slice(0, i)
              .some((e) => e.type === "signal" && e.accepted && e.event.type === "approve")
          );
        }),
      ],
    });
  });

  it("a fan-out and fan-in in parallel states", () => {
    check(fanOut, {
      properties: [
        property("deploy runs at most once", (run) => submitted(run, "deploy").length <= 1),
      ],
    });
  });

  it("a simulation is a function of its scenario", () => {
    const simulate = makeSimulator(approval);
    fc.assert(
      fc.property(scenarioArbitrary(approval, { signals: [{ type: "approve" }] }), (s) => {
        expect(simulate(s).trace).toEqual(simulate(s).trace);
      }),
      { numRuns: 50 },
    );
  });
});
