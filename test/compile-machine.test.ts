/**
 * The machine compiler's refusals, each with its reason, and what the runtime does with them:
 * a machine it refuses runs through XState, and `executionOf` says so for the supervisor's
 * start-up log. That the machines it takes step exactly as XState does is
 * property-tests/compiled-machines.test.ts.
 */
import { and, assign, setup } from "xstate";
import { describe, expect, it } from "vitest";
import { assignAction, emitAction } from "../actors/compilable.ts";
import { makePipelineMachine } from "../actors/pipeline.ts";
import { executionOf, makeDriver } from "../src/runtime/behaviour.ts";
import { compileMachine } from "../src/runtime/compile-machine.ts";
import { hodeiBehaviours, pipelineBehaviour, workerBehaviour } from "../src/supervisor/kinds.ts";
import { chainMachine } from "./fixtures/compilable-machines.ts";

type E = { type: "go" } | { type: "back" };
const base = setup({
  types: { context: {} as { n: number }, events: {} as E },
  guards: { positive: ({ context }) => context.n > 0, small: ({ context }) => context.n < 9 },
  actions: {
    inc: assignAction((context) => ({ n: context.n + 1 })),
    say: emitAction(() => ({ type: "said" })),
    plain: assign({ n: 0 }),
  },
});

const reason = (machine: Parameters<typeof compileMachine>[0]) => {
  const compiled = compileMachine(machine);
  return compiled.ok ? "compiled" : compiled.reason;
};

describe("the machine compiler refuses what it cannot step, and says why", () => {
  it("a parallel machine", () => {
    const machine = base.createMachine({
      type: "parallel",
      context: { n: 0 },
      states: { a: {}, b: {} },
    });
    expect(reason(machine)).toBe("the machine's root is parallel, not compound");
  });

  it("a machine with nested states", () => {
    const machine = base.createMachine({
      initial: "outer",
      context: { n: 0 },
      states: { outer: { initial: "inner", states: { inner: {} } } },
    });
    expect(reason(machine)).toBe("state 'outer' is nested (it has states)");
  });

  it("a machine with an inline action, or one not made to be compiled", () => {
    const inline = base.createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: { on: { go: { actions: assign({ n: 1 }) } } } },
    });
    expect(reason(inline)).toBe(
      "state 'a' on 'go': an inline action (`assign`); name it in setup({ actions })",
    );
    const plain = base.createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: { entry: "plain" } },
    });
    expect(reason(plain)).toBe(
      "entry of 'a': action 'plain' is not compilable (make it with assignAction or emitAction)",
    );
  });

  it("inline and combined guards", () => {
    const inline = base.createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: { on: { go: { guard: ({ context }) => context.n > 1, target: "b" } } }, b: {} },
    });
    expect(reason(inline)).toMatch(/^state 'a' on 'go': an inline guard/);
    const combined = setup({
      types: { context: {} as { n: number }, events: {} as E },
      guards: { positive: () => true, small: () => true, both: and(["positive", "small"]) },
    }).createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: { on: { go: { guard: "both", target: "b" } } }, b: {} },
    });
    expect(reason(combined)).toBe(
      "state 'a' on 'go': guard 'both' is not a plain function (and/or/not: name them)",
    );
  });

  it("delayed transitions, invoked actors, history and wildcard events", () => {
    const after = base.createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: { after: { 1000: "b" } }, b: {} },
    });
    expect(reason(after)).toBe("state 'a' has delayed transitions (`after`)");
    const history = base.createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: {}, h: { type: "history" } },
    });
    expect(reason(history)).toBe("state 'h' is history");
    expect(reason(makePipelineMachine(() => undefined))).toBe(
      "state 'running' takes the wildcard event '*'",
    );
  });

  it("an eventless transition that leads nowhere (XState would take it forever)", () => {
    const machine = base.createMachine({
      initial: "a",
      context: { n: 0 },
      states: { a: { always: { guard: "positive", actions: "inc" } } },
    });
    expect(reason(machine)).toBe(
      "state 'a', eventless: an eventless transition must lead to another state",
    );
  });
});

describe("the runtime runs each machine one way, and says which", () => {
  it("compiles jobs and workers, runs pipelines through XState, and names why", () => {
    const kinds = { ...hodeiBehaviours, pipeline: pipelineBehaviour(() => undefined) };
    expect(executionOf(kinds)).toEqual({
      job: "compiled",
      worker: "compiled",
      pipeline: "xstate: state 'running' takes the wildcard event '*'",
    });
    expect(makeDriver(kinds.job).compiled).toBe(true);
    expect(makeDriver(kinds.pipeline).compiled).toBe(false);
  });

  it("compiles a machine once, however many drivers it has", () => {
    expect(compileMachine(chainMachine)).toBe(compileMachine(chainMachine));
  });

  it("refuses to restore a stored snapshot that is not one of the machine's states", () => {
    const driver = makeDriver(workerBehaviour);
    const { snapshot } = driver.initial({ workerId: "w1", heartbeatTimeoutMs: 1_000, at: 0 });
    const stored = driver.persist(snapshot);
    expect(driver.restore(JSON.parse(JSON.stringify(stored)))).toMatchObject({
      value: "registering",
      status: "active",
    });
    // The nested worker machine's value, before it was made flat.
    expect(() => driver.restore({ ...stored, value: { connected: "busy" } })).toThrow(
      'worker: the stored state {"connected":"busy"} is not one of its machine\'s',
    );
    expect(() => driver.restore({ ...stored, status: "done" })).toThrow(
      "worker: the stored status done does not match the state registering",
    );
  });

  it("gives back the very snapshot when a message changes nothing, with what it emitted", () => {
    const driver = makeDriver(hodeiBehaviours.job);
    const { snapshot } = driver.initial({
      jobId: "j1",
      retry: { maxAttempts: 1, initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: 0 },
      timeoutMs: null,
      cancelGraceMs: 0,
      at: 0,
    });
    const refused = driver.step(snapshot, { type: "started", at: 1, attempt: 7 });
    expect(refused.snapshot).toBe(snapshot);
    expect(refused.effects).toMatchObject([{ type: "job.refused", reason: "stale_attempt" }]);
    const ignored = driver.step(snapshot, { type: "tick", at: 2 });
    expect(ignored.snapshot).toBe(snapshot);
    expect(ignored.effects).toEqual([]);
  });
});
