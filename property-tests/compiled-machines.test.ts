/**
 * The compiled machines against XState itself.
 *
 * For every machine the compiler takes — the job's and the worker's, the scheduler's control
 * states, and the small machines of test/fixtures/compilable-machines.ts (transient chains,
 * root-level fallbacks, guards with params, final states, messages no state takes) — fast-check
 * feeds random message sequences to the compiled stepper and to XState's own pure
 * `initialTransition()` / `transition()`. From the start and after every message both must
 * hold the same state and the same context (deep, strict), have emitted the same effects in
 * the same order, agree on whether the machine is done, and agree on whether anything changed
 * (XState gives back the very snapshot it was given when nothing did). Once the machine is
 * done the sequence ends: the runtime never steps a finished actor, and the stepper takes
 * nothing then.
 *
 * For the job and the worker the runtime's own driver is checked too: the snapshot it persists
 * after every message is what the XState driver persists, and its restore of that snapshot
 * (through JSON) continues the same.
 */
import fc from "fast-check";
import { initialTransition, transition, type AnyStateMachine, type EventObject } from "xstate";
import { describe, expect, it } from "vitest";
import { jobMachine, type JobMessage } from "../actors/job.ts";
import { schedulerMachine, type SchedulerControl } from "../actors/scheduler.ts";
import { workerMachine, type WorkerMessage } from "../actors/worker.ts";
import { makeDriver, viewOf, type AnyBehaviour } from "../src/runtime/behaviour.ts";
import { compileMachine } from "../src/runtime/compile-machine.ts";
import { makeStepper } from "../src/runtime/compiled-stepper.ts";
import { jobStates } from "../src/domain/job-state.ts";
import { workerStates } from "../src/domain/worker.ts";
import { jobBehaviour, workerBehaviour } from "../src/supervisor/kinds.ts";
import { xstateDriver } from "../src/runtime/xstate-driver.ts";
import {
  chainMachine,
  fallbackMachine,
  type ChainEvent,
  type FallbackEvent,
} from "../test/fixtures/compilable-machines.ts";

/** A message made against the machine's current context (a job's current attempt, say). */
type Make<E> = (context: never, state: string) => E;

/** Every `machine: from -message-> to` the sequences went through (how often), for coverage. */
const seen = new Map<string, number>();

const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>) =>
  actions
    .filter((a) => a.type === "xstate.emit")
    .map((a) => (a.params as { event: unknown }).event);

/** Runs `messages` through XState and the compiled stepper side by side, comparing each step. */
const sideBySide = (
  machine: AnyStateMachine,
  input: unknown,
  messages: ReadonlyArray<Make<EventObject>>,
) => {
  const compiled = compileMachine(machine);
  if (!compiled.ok) throw new Error(`${machine.id} did not compile: ${compiled.reason}`);
  const stepper = makeStepper<object, EventObject, unknown, unknown>(compiled.table);
  const [first, firstActions] = initialTransition(machine, input);
  const mine = stepper.initial(input);
  const start = `${machine.id}: (start) -> ${String(first.value)}`;
  seen.set(start, (seen.get(start) ?? 0) + 1);
  expect(mine.state).toBe(first.value);
  expect(mine.context).toStrictEqual(first.context);
  expect(mine.effects).toStrictEqual(emitted(firstActions));
  expect(stepper.isFinal(mine.state)).toBe(first.status === "done");
  let theirs = first;
  let state = mine.state;
  let context = mine.context;
  for (const make of messages) {
    if (theirs.status !== "active") {
      // Done: nothing more is taken.
      const after = stepper.step(state, context, make(context as never, state));
      expect([after.changed, after.effects]).toStrictEqual([false, []]);
      return;
    }
    const event = make(context as never, state);
    const [next, actions] = transition(machine, theirs, event);
    const r = stepper.step(state, context, event);
    expect(r.state).toBe(next.value);
    expect(r.context).toStrictEqual(next.context);
    expect(r.effects).toStrictEqual(emitted(actions));
    expect(stepper.isFinal(r.state)).toBe(next.status === "done");
    expect(r.changed).toBe(next !== theirs);
    const edge = `${machine.id}: ${String(theirs.value)} -${event.type}-> ${String(next.value)}`;
    seen.set(edge, (seen.get(edge) ?? 0) + 1);
    theirs = next;
    state = r.state;
    context = r.context;
  }
};

/** The runtime's driver (compiled) against its XState driver, through persistence. */
const driversAgree = (
  b: AnyBehaviour,
  input: unknown,
  messages: ReadonlyArray<Make<EventObject>>,
  cut: number,
) => {
  const compiled = makeDriver(b);
  const reference = xstateDriver(b);
  expect(compiled.compiled).toBe(true);
  const a = compiled.initial(input as never);
  const x = reference.initial(input as never);
  expect(a.effects).toStrictEqual(x.effects);
  let mine = a.snapshot;
  let theirs = x.snapshot;
  for (const [i, make] of messages.entries()) {
    if (reference.isDone(theirs)) break;
    if (i === cut) mine = compiled.restore(JSON.parse(JSON.stringify(compiled.persist(mine))));
    const view = viewOf<AnyBehaviour>(mine);
    const event = make(view.context as never, String(view.value));
    const m = compiled.step(mine, event as never);
    const t = reference.step(theirs, event as never);
    expect(m.effects).toStrictEqual(t.effects);
    expect(compiled.persist(m.snapshot)).toStrictEqual(reference.persist(t.snapshot));
    expect(compiled.deadline(m.snapshot)).toBe(reference.deadline(t.snapshot));
    expect(compiled.isDone(m.snapshot)).toBe(reference.isDone(t.snapshot));
    mine = m.snapshot;
    theirs = t.snapshot;
  }
};

// ---------------------------------------------------------------------------------------------
// Messages

/** Time between messages: mostly short, sometimes past a deadline. */
const at = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 300 }), weight: 4 },
  { arbitrary: fc.integer({ min: 301, max: 3_000 }), weight: 1 },
);
type JobMake = (
  c: { attempt: number; workerId: string | null; deadline: number | null },
  state: string,
) => JobMessage;

/** Any message: for the current attempt mostly, for another sometimes. */
const anyJobMessage: fc.Arbitrary<(now: number) => JobMake> = fc
  .tuple(
    fc.constantFrom(0, 0, 0, 1, -1),
    fc.constantFrom("w1", "w2"),
    fc.constantFrom(
      ...["schedule", "started", "succeeded", "failed", "timed_out", "rejected", "cancelled"],
      ...["cancel", "worker_lost", "reattached", "recovered", "tick"],
    ),
  )
  .map(([offset, workerId, type]) => (now) => (c) => {
    const attempt = c.attempt + offset;
    switch (type) {
      case "schedule":
        return { type, at: now, workerId, acceptBy: now + 1_000 };
      case "succeeded":
        return { type, at: now, attempt, exitCode: 0, output: { n: now } };
      case "failed":
        return { type, at: now, attempt, error: "x" };
      case "rejected":
        return { type, at: now, attempt, reason: "full" };
      case "cancel":
      case "tick":
        return { type, at: now };
      case "worker_lost":
        // Its worker lost, or back in a new session without it (`returned`).
        return now % 2 === 0
          ? { type, at: now, workerId }
          : { type, at: now, workerId, returned: true };
      case "reattached":
        return { type, at: now, workerId, attempt };
      case "recovered":
        return { type, at: now, graceUntil: now + 2_000 };
      default:
        return { type: type as "started" | "timed_out" | "cancelled", at: now, attempt };
    }
  });

/** What moves the job on from where it is (so that every state is reached, many times a run). */
const nextJobMessage: fc.Arbitrary<(now: number) => JobMake> = fc
  .nat({ max: 5 })
  .map((pick) => (now) => (c, state) => {
    const { attempt } = c;
    const due = Math.max(now, c.deadline ?? now);
    switch (state) {
      case "queued":
        return { type: "schedule", at: now, workerId: "w1", acceptBy: now + 1_000 };
      case "scheduled":
        return { type: "started", at: now, attempt };
      case "running":
        return [
          { type: "succeeded", at: now, attempt } as const,
          { type: "failed", at: now, attempt, error: "x" } as const,
          { type: "timed_out", at: now, attempt } as const,
          { type: "cancel", at: now } as const,
          now % 2 === 0
            ? ({ type: "worker_lost", at: now, workerId: c.workerId ?? "w1" } as const)
            : ({
                type: "worker_lost",
                at: now,
                workerId: c.workerId ?? "w1",
                returned: true,
              } as const),
          { type: "tick", at: due } as const,
        ][pick]!;
      case "cancelling":
        return pick % 2 === 0 ? { type: "cancelled", at: now, attempt } : { type: "tick", at: due };
      default:
        return { type: "tick", at: due };
    }
  });

const jobMessage = fc.oneof(anyJobMessage, nextJobMessage);

/** Messages at increasing times, `dt` apart. */
const timed = <E>(one: fc.Arbitrary<(now: number) => Make<E>>, start: number) =>
  fc.array(fc.tuple(at, one), { maxLength: 30, size: "max" }).map((list) => {
    let now = start;
    return list.map(([dt, make]) => make((now += dt)));
  });

const jobIds = ["j1", "j2", "j3"];
const workerMessage: fc.Arbitrary<(now: number) => Make<WorkerMessage>> = fc.oneof(
  fc
    .subarray(jobIds)
    .map((jobs) => (now: number) => () => ({ type: "registered" as const, at: now, jobs })),
  fc
    .constantFrom("heartbeat", "drain", "left", "tick")
    .map((type) => (now: number) => () => ({ type: type as "heartbeat", at: now })),
  fc
    .constantFrom(...jobIds)
    .map((jobId) => (now: number) => () => ({ type: "job_assigned" as const, at: now, jobId })),
  fc
    .constantFrom(...jobIds)
    .map((jobId) => (now: number) => () => ({ type: "job_finished" as const, at: now, jobId })),
  fc
    .array(fc.tuple(fc.constantFrom(...jobIds), fc.boolean()), { maxLength: 4 })
    .map((changes) => (now: number) => () => ({ type: "jobs_changed" as const, at: now, changes })),
  fc
    .subarray(jobIds)
    .map((jobs) => (now: number) => () => ({ type: "jobs_recovered" as const, at: now, jobs })),
  fc.constant((now: number) => () => ({
    type: "recovered" as const,
    at: now,
    graceUntil: now + 500,
  })),
);

const chainMessage: fc.Arbitrary<Make<ChainEvent>> = fc.oneof(
  fc.integer({ min: 0, max: 9 }).map((k) => () => ({ type: "add" as const, k })),
  fc
    .constantFrom("go", "again", "same", "reset", "stop", "ping")
    .map((type) => () => ({ type: type as "go" })),
);
const fallbackMessage: fc.Arbitrary<Make<FallbackEvent>> = fc
  .constantFrom("x", "y", "toggle", "end")
  .map((type) => () => ({ type: type as "x" }));
const schedulerMessage: fc.Arbitrary<Make<SchedulerControl>> = fc
  .constantFrom("pause", "resume", "drain")
  .map((type) => () => ({ type: type as "pause" }));

const t0 = 1_700_000_000_000;
const jobInput = fc.record(
  {
    jobId: fc.constant("01JOB"),
    retry: fc.record(
      {
        maxAttempts: fc.integer({ min: 1, max: 3 }),
        initialDelayMs: fc.constant(100),
        multiplier: fc.constant(2),
        maxDelayMs: fc.constant(1_000),
        jitter: fc.constantFrom(0, 0.5),
      },
      { noNullPrototype: true },
    ),
    timeoutMs: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: null }),
    cancelGraceMs: fc.constant(500),
    lostGraceMs: fc.constantFrom(0, 1_500),
    // A delayed job (due ahead), one due already (queued at once), or none.
    runAt: fc.option(fc.integer({ min: t0 - 500, max: t0 + 3_000 }), { nil: null }),
    at: fc.constant(t0),
  },
  { noNullPrototype: true },
);
const workerInput = fc.record(
  {
    workerId: fc.constant("w1"),
    heartbeatTimeoutMs: fc.integer({ min: 1, max: 2_000 }),
    at: fc.constant(t0),
  },
  { noNullPrototype: true },
);

/** How often a machine entered `state` from another. */
const reached = (id: string, state: string) =>
  [...seen]
    .filter(
      ([e]) => e.startsWith(`${id}: `) && e.endsWith(`-> ${state}`) && !e.includes(`: ${state} -`),
    )
    .reduce((n, [, count]) => n + count, 0);

// ---------------------------------------------------------------------------------------------

describe("compiled machines step exactly as XState does", () => {
  it("the job machine", () => {
    fc.assert(
      fc.property(jobInput, timed(jobMessage, t0), (input, messages) => {
        sideBySide(jobMachine, input, messages);
      }),
      { numRuns: 400 },
    );
    // Every state a job rests in was reached (each many times a run: a miss is a drifted
    // generator, not bad luck).
    expect(jobStates.filter((s) => reached("job", s) < 10)).toEqual([]);
  });

  it("the worker machine", () => {
    fc.assert(
      fc.property(workerInput, timed(workerMessage, t0), (input, messages) => {
        sideBySide(workerMachine, input, messages);
      }),
      { numRuns: 400 },
    );
    expect(workerStates.filter((s) => reached("worker", s) < 10)).toEqual([]);
  });

  it("the scheduler's control states, and machines made to exercise the compiler", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 15 }),
        fc.array(chainMessage, { maxLength: 25, size: "max" }),
        fc.array(fallbackMessage, { maxLength: 25, size: "max" }),
        fc.array(schedulerMessage, { maxLength: 10, size: "max" }),
        (n, chain, fallback, scheduler) => {
          sideBySide(chainMachine, { n }, chain);
          sideBySide(fallbackMachine, undefined, fallback);
          sideBySide(schedulerMachine, undefined, scheduler);
        },
      ),
      // The chain's `waiting` is reached by few inputs (an even n below 6 at `go`): at 500 runs
      // one of its edges went unseen in 4 test runs of 95 (CI failed on it). At 2,000 a miss
      // takes that chance to the fourth power: 0 of 30 here.
      { numRuns: 2000 },
    );
    const edges = [
      // Transient chains: back to idle (odd), on to a resting state, on to the final one.
      "chain: idle -go-> idle",
      "chain: idle -go-> waiting",
      "chain: idle -go-> done",
      "chain: idle -go-> big",
      // An eventless transition of a resting state, after a message that stays.
      "chain: waiting -add-> done",
      "chain: waiting -again-> waiting",
      "chain: waiting -same-> waiting",
      "chain: big -stop-> done",
      // Root-level fallbacks: to another state, and back into the current one.
      "chain: waiting -reset-> idle",
      "chain: idle -reset-> idle",
      "chain: big -ping-> big",
      "fallback: a -x-> a",
      "fallback: a -x-> b",
      "fallback: b -x-> a",
      "fallback: b -toggle-> b",
      "fallback: b -end-> c",
      "scheduler: paused -drain-> draining",
    ];
    expect(edges.filter((e) => !seen.has(e))).toEqual([]);
  });

  it("the runtime's drivers for jobs and workers persist what XState's would, across restores", () => {
    fc.assert(
      fc.property(
        jobInput,
        timed(jobMessage, t0),
        workerInput,
        timed(workerMessage, t0),
        fc.nat({ max: 30 }),
        (jobIn, jobMessages, workerIn, workerMessages, cut) => {
          driversAgree(jobBehaviour, jobIn, jobMessages, cut);
          driversAgree(workerBehaviour, workerIn, workerMessages, cut);
        },
      ),
      { numRuns: 200 },
    );
  });
});
