/**
 * The DAG builder and its compiled machine, driven purely with the stepper: each test starts a
 * run, delivers job completions as XState's own done/error events, and reads which `runJob`
 * children started or stopped and what `context.steps` says. No timers, no I/O.
 */
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../src/domain/json.ts";
import type { MachineState, Stepped } from "../src/domain/pipeline-machine.ts";
import { doneEvent, errorEvent, type StepChild } from "../src/domain/pipeline-step.ts";
import { pipeline } from "../src/pipeline/dag.ts";
import { isPipeline, type Pipeline } from "../src/pipeline/pipeline.ts";
import { stepChildren } from "../src/pipeline/run-job.ts";
import { makeStepper } from "../src/pipeline/stepper.ts";

const ok = (r: Stepped) => {
  if (!r.ok) throw new Error(r.reason);
  return r;
};
const ids = (children: ReadonlyArray<StepChild>) => children.map((c) => c.id).sort();

/** A run of `p`: `done`/`fail` deliver a step's job result and return what started/stopped. */
const drive = (p: Pipeline, input: unknown = {}, from?: MachineState) => {
  const stepper = makeStepper(p.machine);
  let t = 0;
  let state = from ?? ok(stepper.start(input, t)).state;
  const first = from ? [] : ok(stepper.start(input, 0)).started;
  const send = (event: Parameters<typeof stepper.send>[1]) => {
    const r = ok(stepper.send(state, event, ++t));
    state = r.state;
    return { started: ids(r.started), stopped: ids(r.stopped), child: r.started };
  };
  return {
    started: ids(first),
    done: (step: string, outputs: Record<string, JsonValue> = {}) =>
      send(doneEvent(step, { jobId: `job-${step}`, outputs, exitCode: 0 })),
    fail: (step: string) =>
      send(
        errorEvent(step, { jobId: `job-${step}`, state: "failed", message: "boom", exitCode: 1 }),
      ),
    accepts: (step: string) =>
      stepper.accepts(state, doneEvent(step, { jobId: "j", outputs: {}, exitCode: 0 })),
    get state() {
      return state;
    },
    get steps() {
      return (state.snapshot.context as { steps: Record<string, string> }).steps;
    },
    get snapshot() {
      return state.snapshot;
    },
  };
};

const sh = (script: string) => ({ command: { shell: script } });

const diamond = pipeline("diamond")
  .step("build", sh("make"))
  .step("test", { needs: ["build"], ...sh("make test") })
  .step("lint", { needs: ["build"], ...sh("make lint") })
  .step("ship", { needs: ["test", "lint"], ...sh("make ship") });

describe("the builder value", () => {
  it("is a Pipeline with a plan, a machine and a stable version, without .build()", () => {
    expect(isPipeline(diamond)).toBe(true);
    expect(diamond.name).toBe("diamond");
    expect(diamond.plan).toEqual([
      { name: "build", needs: [] },
      { name: "test", needs: ["build"] },
      { name: "lint", needs: ["build"] },
      { name: "ship", needs: ["test", "lint"] },
    ]);
    expect(diamond.machine).toBe(diamond.machine);
    expect(diamond.version).toMatch(/^[0-9a-f]{12}$/);
    const again = pipeline("diamond")
      .step("build", sh("make"))
      .step("test", { needs: ["build"], ...sh("make test") })
      .step("lint", { needs: ["build"], ...sh("make lint") })
      .step("ship", { needs: ["test", "lint"], ...sh("make ship") });
    expect(again.version).toBe(diamond.version);
    const changed = pipeline("diamond")
      .step("build", sh("make all"))
      .step("test", { needs: ["build"], ...sh("make test") });
    expect(changed.version).not.toBe(diamond.version);
    const otherWhen = (when: () => boolean) =>
      pipeline("p").step("a", { ...sh("x"), when }).version;
    expect(otherWhen(() => true)).not.toBe(otherWhen(() => false));
  });

  it("leaves the builder it extends unchanged", () => {
    const base = pipeline("p").step("a", sh("a"));
    const longer = base.step("b", { needs: ["a"], ...sh("b") });
    expect(base.plan.map((s) => s.name)).toEqual(["a"]);
    expect(longer.plan.map((s) => s.name)).toEqual(["a", "b"]);
  });
});

describe("fan-out and fan-in", () => {
  it("starts each step exactly when its last need succeeds", () => {
    const run = drive(diamond);
    expect(run.started).toEqual(["build"]);
    expect(run.steps).toEqual({
      build: "running",
      test: "waiting",
      lint: "waiting",
      ship: "waiting",
    });
    expect(run.done("build")).toMatchObject({ started: ["lint", "test"], stopped: ["build"] });
    expect(run.done("test").started).toEqual([]);
    expect(run.steps.ship).toBe("waiting");
    expect(run.done("lint").started).toEqual(["ship"]);
    run.done("ship", { url: "https://x" });
    expect(run.snapshot.status).toBe("done");
    expect(run.snapshot.value).toBe("succeeded");
    expect(run.snapshot.output).toEqual({
      outputs: { build: {}, test: {}, lint: {}, ship: { url: "https://x" } },
      steps: { build: "succeeded", test: "succeeded", lint: "succeeded", ship: "succeeded" },
    });
  });

  it("passes a step's job spec to runJob, with its retry and timeout, keyed by the step name", () => {
    const p = pipeline("p").step("build", {
      command: { argv: ["make"] },
      timeoutMs: 600_000,
      retry: { maxAttempts: 2 },
      labels: { os: "linux" },
    });
    const stepper = makeStepper(p.machine);
    const [child] = ok(stepper.start({}, 0)).started;
    expect(child?.id).toBe("build");
    expect(child?.spec).toEqual({
      command: { argv: ["make"] },
      timeoutMs: 600_000,
      retry: { maxAttempts: 2 },
      labels: { os: "linux" },
    });
  });
});

describe("when and skipping", () => {
  it("evaluates `when` once, after the needs, and skips the step and its dependents", () => {
    const seen: unknown[] = [];
    const p = pipeline<{ branch: string }>("p")
      .step("build", sh("make"))
      .step("deploy", {
        needs: ["build"],
        when: ({ input, outputs }) => (seen.push(outputs.build), input.branch === "main"),
        ...sh("deploy"),
      })
      .step("announce", { needs: ["deploy"], ...sh("announce") })
      .step("docs", { needs: ["build"], ...sh("docs") });
    const run = drive(p, { branch: "dev" });
    expect(seen).toEqual([]);
    expect(run.done("build", { v: 1 }).started).toEqual(["docs"]);
    expect(seen).toEqual([{ v: 1 }]);
    expect(run.steps).toMatchObject({ deploy: "skipped", announce: "skipped", docs: "running" });
    run.done("docs");
    expect(run.snapshot.value).toBe("succeeded");
    expect(seen).toHaveLength(1);

    const main = drive(p, { branch: "main" });
    expect(main.done("build").started).toEqual(["deploy", "docs"]);
  });
});

describe("a failed step", () => {
  const p = (failFast: boolean) =>
    pipeline("p", { failFast })
      .step("a", sh("a"))
      .step("b", sh("b"))
      .step("after-a", { needs: ["a"], ...sh("c") })
      .step("after-b", { needs: ["b"], ...sh("d") });

  it("with failFast, cancels the running steps (their jobs stop) and skips the waiting ones", () => {
    const run = drive(p(true));
    expect(run.started).toEqual(["a", "b"]);
    expect(run.fail("a")).toMatchObject({ started: [], stopped: ["a", "b"] });
    expect(run.steps).toEqual({
      a: "failed",
      b: "cancelled",
      "after-a": "skipped",
      "after-b": "skipped",
    });
    expect(run.snapshot.value).toBe("failed");
    expect(run.snapshot.status).toBe("done");
    expect(run.accepts("b")).toBe(false);
  });

  it("without failFast, lets independent branches finish and skips the dependents", () => {
    const run = drive(p(false));
    expect(run.fail("a")).toMatchObject({ started: [], stopped: ["a"] });
    expect(run.steps).toEqual({
      a: "failed",
      b: "running",
      "after-a": "skipped",
      "after-b": "waiting",
    });
    expect(run.done("b").started).toEqual(["after-b"]);
    run.done("after-b");
    expect(run.snapshot.value).toBe("failed");
    expect(run.snapshot.output).toMatchObject({ steps: { "after-b": "succeeded", a: "failed" } });
  });

  it("fails a step whose job or when function throws, with the reason in context.errors", () => {
    const bad = pipeline("p", { failFast: false })
      .step("a", {
        job: () => {
          throw new Error("no artifact");
        },
      })
      .step("b", {
        ...sh("b"),
        when: () => {
          throw new Error("bad input");
        },
      })
      .step("c", sh("c"));
    const run = drive(bad);
    expect(run.started).toEqual(["c"]);
    expect(run.steps).toEqual({ a: "failed", b: "failed", c: "running" });
    const context = run.snapshot.context as { errors: unknown; pending: unknown };
    expect(context.errors).toEqual({ a: "job threw: no artifact", b: "when threw: bad input" });
    expect(context.pending).toEqual({});
    run.done("c");
    expect(run.snapshot.value).toBe("failed");
  });

  it("keeps the job's error message for a failed step", () => {
    const run = drive(pipeline("p").step("a", sh("a")));
    run.fail("a");
    expect(run.snapshot.context).toMatchObject({ errors: { a: "boom" }, halted: true });
  });
});

describe("matrix", () => {
  it("adds one step per combination and a need on the matrix waits for all of them", () => {
    const p = pipeline("ci")
      .step("build", sh("make"))
      .matrix("test", { node: ["18", "20"], os: ["linux", "mac os"] }, ({ node, os }) => ({
        needs: ["build"],
        command: { shell: "npm test", env: { NODE_VERSION: node, OS: os } },
      }))
      .step("report", {
        needs: ["test"],
        job: ({ outputs }) => ({
          command: { argv: ["report", String(outputs["test-18-linux"]?.passed)] },
        }),
      });
    const combos = ["test-18-linux", "test-18-mac_os", "test-20-linux", "test-20-mac_os"];
    expect(p.plan.at(-1)).toEqual({ name: "report", needs: combos });
    const run = drive(p);
    const afterBuild = run.done("build");
    expect(afterBuild.started).toEqual(combos);
    const env = afterBuild.child.find((c) => c.id === "test-20-mac_os")?.spec.command?.env;
    expect(env).toEqual({ NODE_VERSION: "20", OS: "mac os" });
    expect(run.done("test-18-linux", { passed: 12 }).started).toEqual([]);
    expect(run.done("test-18-mac_os").started).toEqual([]);
    expect(run.done("test-20-linux").started).toEqual([]);
    const last = run.done("test-20-mac_os");
    expect(last.started).toEqual(["report"]);
    expect(last.child[0]?.spec.command).toEqual({ argv: ["report", "12"] });
  });
});

describe("outputs and input", () => {
  it("computes a job when its step starts, from the input and earlier outputs", () => {
    const p = pipeline<{ env: string }>("p")
      .step("build", sh("make"))
      .step("deploy", {
        needs: ["build"],
        job: ({ input, outputs }) => ({
          command: {
            argv: ["deploy", String(outputs.build?.artifact)],
            env: { TARGET: input.env },
          },
          timeoutMs: 60_000,
        }),
      });
    const run = drive(p, { env: "prod" });
    const [deploy] = run.done("build", { artifact: "app-1.2.tgz" }).child;
    expect(deploy?.spec).toEqual({
      command: { argv: ["deploy", "app-1.2.tgz"], env: { TARGET: "prod" } },
      timeoutMs: 60_000,
    });
  });
});

describe("persistence", () => {
  it("continues a run from its persisted snapshot on a fresh stepper", () => {
    const first = drive(diamond);
    first.done("build");
    const stored = JSON.parse(JSON.stringify(first.state)) as MachineState;
    type Children = Record<string, { snapshot: { context: { key: string } } }>;
    const childrenOf = (snapshot: unknown) => (snapshot as { children: Children }).children;
    const keys = childrenOf(stored.snapshot);
    const rebuilt = pipeline("diamond")
      .step("build", sh("make"))
      .step("test", { needs: ["build"], ...sh("make test") })
      .step("lint", { needs: ["build"], ...sh("make lint") })
      .step("ship", { needs: ["test", "lint"], ...sh("make ship") });
    const resumed = drive(rebuilt, undefined, stored);
    expect(resumed.steps).toMatchObject({ build: "succeeded", test: "running", lint: "running" });
    expect(resumed.done("test")).toMatchObject({ started: [], stopped: ["test"] });
    expect(resumed.accepts("lint")).toBe(true);
    const lintKey = keys.lint?.snapshot.context.key;
    expect(lintKey).toMatch(/./);
    expect(childrenOf(resumed.snapshot).lint?.snapshot.context.key).toBe(lintKey);
    expect(resumed.done("lint").started).toEqual(["ship"]);
    resumed.done("ship");
    expect(resumed.snapshot.value).toBe("succeeded");
  });

  it("is a function of the input and the messages: the same run twice gives the same states", () => {
    // The second run shares the stepper with the first, whose steps must not shift its ids.
    const stepper = makeStepper(diamond.machine);
    const run = () => {
      const states: MachineState[] = [];
      let state = ok(stepper.start({ n: 1 }, 0)).state;
      states.push(state);
      for (const [t, step] of ["build", "test", "lint"].entries()) {
        const event = doneEvent(step, { jobId: `job-${step}`, outputs: {}, exitCode: 0 });
        state = ok(stepper.send(state, event, t + 1)).state;
        states.push(state);
      }
      return states;
    };
    const once = run();
    expect(run()).toEqual(once);
    // Each invocation has its own key, numbered within the run.
    const keys = once.flatMap((s) => [...stepChildren(s.snapshot).values()].map((c) => c.key));
    expect([...new Set(keys)]).toEqual(["0", "1", "2", "3"]);
  });
});

describe("builder refusals", () => {
  const p = pipeline("p").step("build", sh("make"));

  it("refuses a duplicate name, naming it", () => {
    expect(() => p.step("build", sh("again"))).toThrow(
      'pipeline "p": steps.1.name: duplicate step name "build"',
    );
    expect(() => p.matrix("m", { v: ["1", "1"] }, () => sh("x"))).toThrow(
      /duplicate step name "m-1"/,
    );
  });

  it("refuses invalid step and pipeline names", () => {
    expect(() => p.step("two words", sh("x"))).toThrow(/"two words" is not a step name/);
    expect(() => pipeline("Bad Name")).toThrow(/"Bad Name" is not a pipeline name/);
  });

  it("refuses an unknown need at run time too (for JavaScript callers)", () => {
    const needs = ["biuld"] as unknown as ["build"];
    expect(() => p.step("test", { needs, ...sh("x") })).toThrow(
      'pipeline "p": steps.1.needs.0: step "test" needs "biuld", which is not a step declared before it',
    );
  });

  it("refuses a bad inline job where it is written", () => {
    expect(() => p.step("test", { needs: ["build"] })).toThrow(
      /step "test": steps\.1\.job\.command: is missing/,
    );
    const both = { command: { shell: "x" }, job: sh("y") } as never;
    expect(() => p.step("test", both)).toThrow(/gives its job both inline and as "job"/);
    expect(() => p.matrix("m", { v: [] }, () => sh("x"))).toThrow(/no combination/);
    expect(() => pipeline("empty").machine).toThrow(/at least one step/);
  });

  it("does not compile an unknown need, nor a need on itself or a later step", () => {
    // @ts-expect-error "biuld" is not a step declared so far
    expect(() => p.step("test", { needs: ["biuld"], ...sh("x") })).toThrow();
    // @ts-expect-error a step cannot need itself (that would be a cycle)
    expect(() => p.step("loop", { needs: ["loop"], ...sh("x") })).toThrow();
    // @ts-expect-error `job` and inline fields are exclusive
    expect(() => p.step("both", { command: { shell: "x" }, job: sh("y") })).toThrow();
  });
});
