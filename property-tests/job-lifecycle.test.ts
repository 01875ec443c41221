/**
 * The job actor against a reference model, on random message sequences.
 *
 * fast-check generates abstract commands (a schedule on one of a few workers, an agent's report
 * for the current attempt or a stale one, a cancel, a lost worker, a tick at, just before or past
 * the deadline) with a clock that never goes back, and random retry policies. Each command is
 * made concrete against the model's state (the attempt a "stale" report names, the deadline a
 * tick aims at), sent to a live actor, and the machine is checked against the model and the
 * invariants after every message:
 *
 * - state, attempt, starts, worker and deadline equal the model's; the effects are exactly the
 *   model's (transitions, assignment, cancel on the agent, refusals and their reasons);
 * - terminal states are absorbing; `starts <= retry.maxAttempts`; `bounces <= maxBounces`;
 *   `attempt <= retry.maxAttempts + maxBounces` (assignments are bounded, whatever the agents
 *   and the clock do); `attempt` never decreases;
 * - a stale attempt's message changes nothing and is refused as `stale_attempt`;
 * - after `cancel` the job is `cancelling` or `cancelled` (or was already over), and a tick past
 *   every deadline at the end leaves a job that was cancelled while live in `cancelled`;
 * - history times never decrease and its last line is the current state; the deadline and the
 *   worker are null in terminal states, and a worker is held exactly in the reserving states.
 *
 * A second property stops the actor at a random point, round-trips its persisted snapshot
 * through JSON, restores it and continues: it must end exactly where the uninterrupted actor
 * ends, having emitted exactly the same effects after the cut.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { createActor, transition, type SnapshotFrom } from "xstate";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { jobMachine, type JobEffect, type JobInput, type JobMessage } from "../actors/job.ts";
import { holdsReservation, isTerminalJobState, type JobState } from "../src/domain/job-state.ts";
import {
  backoffDelayMs,
  bounceDelayMs,
  maxBounces,
  type RetryPolicy,
} from "../src/domain/retry.ts";

// ---------------------------------------------------------------------------------------------
// The reference model: what the design says a job does, written independently of the machine.

interface Model {
  readonly state: JobState;
  readonly attempt: number;
  readonly starts: number;
  readonly bounces: number;
  readonly workerId: string | null;
  readonly deadline: number | null;
  /** When the current state was entered. */
  readonly since: number;
  /** Last attempt, its worker lost: since when the job waits for it. */
  readonly lostAt: number | null;
}

interface Step {
  readonly next: Model;
  /** The effects, in order, as `describeEffect` spells them. */
  readonly effects: ReadonlyArray<string>;
}

const initialModel = (at: number): Model => ({
  state: "queued",
  attempt: 0,
  starts: 0,
  bounces: 0,
  workerId: null,
  deadline: null,
  since: at,
  lostAt: null,
});

const describeEffect = (e: JobEffect): string => {
  switch (e.type) {
    case "job.transitioned":
      return `transitioned:${e.state}:${e.attempt}@${e.at}`;
    case "job.assign":
      return `assign:${e.workerId}:${e.attempt}:${e.acceptBy}`;
    case "job.cancel_on_agent":
      return `cancel_on_agent:${e.workerId}:${e.attempt}:${e.graceMs}`;
    case "job.refused":
      return `refused:${e.eventType}:${e.attempt}:${e.current}:${e.reason}`;
  }
};

const step = (m: Model, e: JobMessage, input: JobInput): Step => {
  if (isTerminalJobState(m.state)) return { next: m, effects: [] };
  const stay: Step = { next: m, effects: [] };
  const refuse = (reason: string): Step => ({
    next: m,
    effects: [`refused:${e.type}:${"attempt" in e ? e.attempt : null}:${m.attempt}:${reason}`],
  });
  const go = (next: Model, before: string[] = [], after: string[] = []): Step => ({
    next: { ...next, since: e.at },
    effects: [...before, `transitioned:${next.state}:${next.attempt}@${e.at}`, ...after],
  });
  const cancelOnAgent = `cancel_on_agent:${m.workerId}:${m.attempt}:${input.cancelGraceMs}`;
  const free = { workerId: null, deadline: null };
  const queued = (): Step => go({ ...m, ...free, state: "queued" });
  // An assignment not started: back after a short backoff, or the end once bounces run out.
  const bounce = (before: string[] = []): Step => {
    const bounces = m.bounces + 1;
    return bounces < maxBounces
      ? go(
          {
            ...m,
            bounces,
            state: "retry_wait",
            workerId: null,
            deadline: e.at + bounceDelayMs(bounces, input.jobId),
          },
          before,
        )
      : go({ ...m, ...free, bounces, state: "failed" }, before);
  };
  const runningDeadline = (since: number) =>
    input.timeoutMs === null ? null : since + input.timeoutMs + input.cancelGraceMs;
  const cancelled = (before: string[] = []): Step =>
    go({ ...m, ...free, state: "cancelled" }, before);
  // The attempt is over: another one if the policy has starts left, else the end.
  // A report straight from `scheduled` folds the start message into it: one more run.
  const attemptEnded = (byTimeout: boolean, before: string[] = [], folded = 0): Step => {
    const starts = m.starts + folded;
    return starts < input.retry.maxAttempts
      ? go(
          {
            ...m,
            starts,
            state: "retry_wait",
            workerId: null,
            lostAt: null,
            deadline: e.at + backoffDelayMs(input.retry, starts, input.jobId),
          },
          before,
        )
      : go({ ...m, ...free, starts, state: byTimeout ? "timed_out" : "failed" }, before);
  };
  const lostGraceMs = input.lostGraceMs ?? 0;

  if ("attempt" in e && e.attempt !== m.attempt) return refuse("stale_attempt");
  switch (e.type) {
    case "schedule": {
      if (m.state !== "queued") return refuse("not_applicable");
      const attempt = m.attempt + 1;
      return go(
        { ...m, state: "scheduled", attempt, workerId: e.workerId, deadline: e.acceptBy },
        [],
        [`assign:${e.workerId}:${attempt}:${e.acceptBy}`],
      );
    }
    case "started":
      if (m.state !== "scheduled") return refuse("not_applicable");
      return go({ ...m, state: "running", starts: m.starts + 1, deadline: runningDeadline(e.at) });
    case "reattached":
      if (e.workerId !== m.workerId) return refuse("not_applicable");
      if (m.state === "scheduled")
        return go({
          ...m,
          state: "running",
          starts: m.starts + 1,
          deadline: runningDeadline(e.at),
        });
      if (m.state === "running") {
        const usual = runningDeadline(m.since);
        const deadline = usual === null ? null : Math.max(usual, e.at + input.cancelGraceMs);
        return { next: { ...m, lostAt: null, deadline }, effects: [] };
      }
      if (m.state === "cancelling") return { next: m, effects: [cancelOnAgent] };
      return refuse("not_applicable");
    case "recovered":
      if (m.state !== "scheduled" && m.state !== "running" && m.state !== "cancelling") return stay;
      return m.deadline === null
        ? stay
        : { next: { ...m, deadline: Math.max(m.deadline, e.graceUntil) }, effects: [] };
    case "succeeded":
      if (m.state === "scheduled")
        return go({ ...m, ...free, state: "succeeded", starts: m.starts + 1 });
      if (m.state === "running") return go({ ...m, ...free, state: "succeeded" });
      return m.state === "cancelling" ? cancelled() : refuse("not_applicable");
    case "failed":
    case "timed_out":
      if (m.state === "running") return attemptEnded(e.type === "timed_out");
      if (m.state === "scheduled") return attemptEnded(e.type === "timed_out", [], 1);
      return m.state === "cancelling" ? cancelled() : refuse("not_applicable");
    case "rejected":
      return m.state === "scheduled" ? bounce() : refuse("not_applicable");
    case "cancelled":
      return m.state === "cancelling" ? cancelled() : refuse("not_applicable");
    case "cancel":
      switch (m.state) {
        case "queued":
        case "retry_wait":
          return cancelled();
        case "scheduled":
          return cancelled([cancelOnAgent]);
        case "running":
          return go({ ...m, state: "cancelling", deadline: e.at + input.cancelGraceMs }, [
            cancelOnAgent,
          ]);
        default:
          return stay;
      }
    case "worker_lost":
      if (e.workerId !== m.workerId) return stay;
      if (m.state === "scheduled") return bounce();
      if (m.state === "running") {
        if (m.starts < input.retry.maxAttempts) return attemptEnded(false);
        if (m.lostAt !== null) return stay;
        return { next: { ...m, lostAt: e.at, deadline: e.at + lostGraceMs }, effects: [] };
      }
      return m.state === "cancelling" ? cancelled() : stay;
    case "tick":
      if (m.deadline === null || e.at < m.deadline) return stay;
      if (m.state === "scheduled") return bounce([cancelOnAgent]);
      if (m.state === "retry_wait") return queued();
      if (m.state === "running" && m.lostAt !== null) return attemptEnded(false);
      if (m.state === "running") return attemptEnded(true, [cancelOnAgent]);
      return m.state === "cancelling" ? cancelled() : stay;
  }
};

// ---------------------------------------------------------------------------------------------
// Abstract commands, made concrete against the model when they run.

const workers = ["w1", "w2", "w3"] as const;
const reports = ["started", "succeeded", "failed", "timed_out", "rejected", "cancelled"] as const;
type Report = (typeof reports)[number];
/** Which attempt a report names, relative to the job's current one. */
type Rel = "current" | "prev" | "next" | "zero";

type Cmd =
  | {
      readonly k: "schedule";
      readonly dt: number;
      readonly worker: number;
      readonly acceptIn: number;
    }
  | { readonly k: Report; readonly dt: number; readonly rel: Rel }
  | { readonly k: "cancel"; readonly dt: number }
  | { readonly k: "worker_lost"; readonly dt: number; readonly worker: number }
  | { readonly k: "reattached"; readonly dt: number; readonly worker: number; readonly rel: Rel }
  | { readonly k: "recovered"; readonly dt: number; readonly grace: number }
  | { readonly k: "tick"; readonly dt: number; readonly when: "later" | "deadline" | "before" }
  /** The natural next message for the state the job is in (so that runs go deep). */
  | { readonly k: "next"; readonly dt: number; readonly pick: number };

const dtArb = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 50 }), weight: 4 },
  { arbitrary: fc.integer({ min: 51, max: 5_000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 5_001, max: 100_000 }), weight: 1 },
);

const relArb: fc.Arbitrary<Rel> = fc.oneof(
  { arbitrary: fc.constant("current" as const), weight: 6 },
  { arbitrary: fc.constantFrom("prev" as const, "next" as const, "zero" as const), weight: 2 },
);

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    arbitrary: fc.record({
      k: fc.constant("schedule" as const),
      dt: dtArb,
      worker: fc.integer({ min: 0, max: workers.length - 1 }),
      acceptIn: fc.integer({ min: 0, max: 3_000 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ k: fc.constantFrom(...reports), dt: dtArb, rel: relArb }),
    weight: 8,
  },
  { arbitrary: fc.record({ k: fc.constant("cancel" as const), dt: dtArb }), weight: 1 },
  {
    arbitrary: fc.record({
      k: fc.constant("worker_lost" as const),
      dt: dtArb,
      worker: fc.integer({ min: 0, max: workers.length - 1 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("reattached" as const),
      dt: dtArb,
      worker: fc.integer({ min: 0, max: workers.length - 1 }),
      rel: relArb,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("recovered" as const),
      dt: dtArb,
      grace: fc.integer({ min: 0, max: 60_000 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("tick" as const),
      dt: dtArb,
      when: fc.constantFrom("later" as const, "deadline" as const, "before" as const),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ k: fc.constant("next" as const), dt: dtArb, pick: fc.nat() }),
    weight: 12,
  },
);

const retryArb: fc.Arbitrary<RetryPolicy> = fc.record(
  {
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    initialDelayMs: fc.integer({ min: 0, max: 3_000 }),
    multiplier: fc.constantFrom(1, 1.5, 2, 3),
    maxDelayMs: fc.integer({ min: 0, max: 20_000 }),
    jitter: fc.constantFrom(0, 0.1, 0.5, 1),
  },
  { noNullPrototype: true },
);

const inputArb: fc.Arbitrary<JobInput> = fc.record(
  {
    jobId: fc.constantFrom("job-a", "job-b", "01J9Z3Q7"),
    retry: retryArb,
    timeoutMs: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: null, freq: 4 }),
    cancelGraceMs: fc.integer({ min: 0, max: 3_000 }),
    lostGraceMs: fc.integer({ min: 0, max: 60_000 }),
    at: fc.integer({ min: 0, max: 1_000_000 }),
  },
  { noNullPrototype: true, requiredKeys: ["jobId", "retry", "timeoutMs", "cancelGraceMs", "at"] },
);

const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 40, size: "max" });

const concrete = (cmd: Cmd, m: Model, now: number): JobMessage => {
  const at = now + cmd.dt;
  switch (cmd.k) {
    case "next": {
      const attempt = m.attempt;
      const tick: JobMessage = { type: "tick", at: Math.max(now, m.deadline ?? at) };
      const among = (...choices: JobMessage[]): JobMessage => choices[cmd.pick % choices.length]!;
      switch (m.state) {
        case "queued":
          return concrete(
            { k: "schedule", dt: cmd.dt, worker: cmd.pick % workers.length, acceptIn: 1_000 },
            m,
            now,
          );
        case "scheduled":
          return among(
            { type: "started", at, attempt },
            { type: "started", at, attempt },
            { type: "started", at, attempt },
            { type: "succeeded", at, attempt, exitCode: 0, output: null },
            { type: "rejected", at, attempt, reason: "full" },
            { type: "reattached", at, attempt, workerId: m.workerId ?? "w1" },
            { type: "worker_lost", at, workerId: m.workerId ?? "w1" },
            tick,
          );
        case "running":
          return among(
            { type: "succeeded", at, attempt, exitCode: 0, output: "ok" },
            { type: "failed", at, attempt, error: "exit 2", exitCode: 2 },
            { type: "failed", at, attempt, error: "exit 3", exitCode: 3 },
            { type: "timed_out", at, attempt },
            { type: "worker_lost", at, workerId: m.workerId ?? "w1" },
            { type: "reattached", at, attempt, workerId: m.workerId ?? "w1" },
            tick,
            { type: "cancel", at },
          );
        case "cancelling":
          return among(
            { type: "cancelled", at, attempt },
            { type: "cancelled", at, attempt },
            { type: "succeeded", at, attempt, exitCode: 0, output: "late" },
            { type: "failed", at, attempt, error: "SIGTERM", exitCode: 143 },
            { type: "timed_out", at, attempt },
            { type: "worker_lost", at, workerId: m.workerId ?? "w1" },
            tick,
          );
        default:
          return tick;
      }
    }
    case "schedule":
      return { type: "schedule", at, workerId: workers[cmd.worker]!, acceptBy: at + cmd.acceptIn };
    case "cancel":
      return { type: "cancel", at };
    case "worker_lost":
      return { type: "worker_lost", at, workerId: workers[cmd.worker]! };
    case "reattached": {
      const attempt = { current: m.attempt, prev: m.attempt - 1, next: m.attempt + 1, zero: 0 }[
        cmd.rel
      ];
      return { type: "reattached", at, attempt, workerId: workers[cmd.worker]! };
    }
    case "recovered":
      return { type: "recovered", at, graceUntil: at + cmd.grace };
    case "tick": {
      const target = m.deadline ?? at;
      const when = { later: at, deadline: target, before: target - 1 }[cmd.when];
      return { type: "tick", at: Math.max(now, when) };
    }
    default: {
      const attempt = { current: m.attempt, prev: m.attempt - 1, next: m.attempt + 1, zero: 0 }[
        cmd.rel
      ];
      switch (cmd.k) {
        case "failed":
          return { type: "failed", at, attempt, error: "exit 1", exitCode: 1 };
        case "succeeded":
          return { type: "succeeded", at, attempt, exitCode: 0, output: { at } };
        case "rejected":
          return { type: "rejected", at, attempt, reason: "full" };
        default:
          return { type: cmd.k, at, attempt };
      }
    }
  }
};

/** The concrete messages of a command sequence, as the model resolves them. */
const concretize = (input: JobInput, cmds: ReadonlyArray<Cmd>): JobMessage[] => {
  let model = initialModel(input.at);
  let now = input.at;
  return cmds.map((cmd) => {
    const message = concrete(cmd, model, now);
    now = message.at;
    model = step(model, message, input).next;
    return message;
  });
};

// ---------------------------------------------------------------------------------------------
// Harness

/** Throws when `ok` is false; `detail` is only computed then (it runs on every message). */
const check = (ok: boolean, what: string, detail?: () => unknown): void => {
  if (!ok) throw new Error(detail === undefined ? what : `${what}: ${JSON.stringify(detail())}`);
};

type JobSnapshot = SnapshotFrom<typeof jobMachine>;
/** Same state, same context: strictly (a JSON comparison would hide `undefined` or `Infinity`). */
const same = (a: JobSnapshot, b: JobSnapshot): boolean =>
  a.value === b.value && isDeepStrictEqual(a.context, b.context);

/** The state a job rests in (`attemptEnded` is transient: an actor never rests there). */
const stateOf = (s: JobSnapshot): JobState => s.value as JobState;

/**
 * A live actor, fresh or restored from `snapshot` (then `input` is not used), whose effects are
 * collected: `send` answers the effects of that one message.
 */
const live = (input: JobInput, snapshot?: unknown) => {
  const effects: JobEffect[] = [];
  const actor =
    snapshot === undefined
      ? createActor(jobMachine, { input })
      : createActor(jobMachine, { input, snapshot: snapshot as JobSnapshot });
  actor.on("*", (effect) => effects.push(effect));
  actor.start();
  effects.length = 0;
  return {
    actor,
    send: (message: JobMessage): JobEffect[] => {
      effects.length = 0;
      actor.send(message);
      return effects.slice();
    },
  };
};

// A finished actor is stopped; XState (development build) warns about every event sent to it.
let warn: MockInstance;
beforeAll(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterAll(() => warn.mockRestore());

// ---------------------------------------------------------------------------------------------

/** Every state change the machine can make, as `from -message-> to`. */
const edges = [
  "queued -schedule-> scheduled",
  "queued -cancel-> cancelled",
  "scheduled -started-> running",
  "scheduled -succeeded-> succeeded",
  "scheduled -failed-> retry_wait",
  "scheduled -failed-> failed",
  "scheduled -rejected-> retry_wait",
  "scheduled -tick-> retry_wait",
  "scheduled -worker_lost-> retry_wait",
  "scheduled -reattached-> running",
  "scheduled -cancel-> cancelled",
  "running -succeeded-> succeeded",
  "running -failed-> retry_wait",
  "running -failed-> failed",
  "running -timed_out-> retry_wait",
  "running -timed_out-> timed_out",
  "running -tick-> retry_wait",
  "running -tick-> timed_out",
  "running -tick-> failed",
  "running -worker_lost-> retry_wait",
  "running -cancel-> cancelling",
  "retry_wait -tick-> queued",
  "retry_wait -cancel-> cancelled",
  "cancelling -cancelled-> cancelled",
  "cancelling -succeeded-> cancelled",
  "cancelling -failed-> cancelled",
  "cancelling -timed_out-> cancelled",
  "cancelling -tick-> cancelled",
  "cancelling -worker_lost-> cancelled",
];
const covered = new Set<string>();

describe("job lifecycle (model-based)", () => {
  it("follows the model and keeps every invariant, message after message", () => {
    fc.assert(
      fc.property(inputArb, cmdsArb, (input, cmds) => {
        const { actor, send } = live(input);
        let model = initialModel(input.at);
        let now = input.at;
        let cancelledWhileLive = false;
        let pureChecked = false;
        check(actor.getSnapshot().value === "queued", "does not start queued");

        const deliver = (message: JobMessage): void => {
          const before = actor.getSnapshot();
          const wasTerminal = isTerminalJobState(stateOf(before));
          const expected = step(model, message, input);
          const effects = send(message).map(describeEffect);
          const after = actor.getSnapshot();
          const c = after.context;
          const state = stateOf(after);
          const where = () => ({ message, model, expected: expected.next, state, context: c });

          // The machine is the model.
          check(state === expected.next.state, "state differs from the model", where);
          check(c.attempt === expected.next.attempt, "attempt differs from the model", where);
          check(c.starts === expected.next.starts, "starts differs from the model", where);
          check(c.bounces === expected.next.bounces, "bounces differs from the model", where);
          check(c.workerId === expected.next.workerId, "workerId differs from the model", where);
          check(c.deadline === expected.next.deadline, "deadline differs from the model", where);
          check(
            JSON.stringify(effects) === JSON.stringify(expected.effects),
            "effects differ from the model",
            () => ({ ...where(), effects, expectedEffects: expected.effects }),
          );

          // Invariants.
          if (wasTerminal) {
            check(same(after, before), "a terminal job changed", where);
            check(effects.length === 0, "a terminal job emitted", () => ({ ...where(), effects }));
            if (!pureChecked) {
              // The pure API does not stop at a final state: it must change nothing either, and
              // emit nothing but a refusal.
              pureChecked = true;
              const [next, actions] = transition(jobMachine, before, message);
              check(same(next, before), "a terminal snapshot changed (pure)", where);
              const emitted = actions.map(
                (a) => (a.params as { event?: JobEffect } | undefined)?.event?.type ?? a.type,
              );
              check(
                emitted.every((t) => t === "job.refused"),
                "a terminal snapshot emitted (pure)",
                () => ({ ...where(), emitted }),
              );
            }
          }
          check(c.starts <= input.retry.maxAttempts, "starts exceeds maxAttempts", where);
          check(c.bounces <= maxBounces, "bounces exceeds maxBounces", where);
          check(
            c.attempt <= input.retry.maxAttempts + maxBounces,
            "more assignments than the policy and the bounce limit allow",
            where,
          );
          check(c.attempt >= before.context.attempt, "attempt decreased", where);
          if ("attempt" in message && message.attempt !== before.context.attempt) {
            check(same(after, before), "a stale attempt changed the job", where);
            check(
              wasTerminal || (effects.length === 1 && effects[0]!.endsWith(":stale_attempt")),
              "a stale attempt was not refused as stale",
              () => ({ ...where(), effects }),
            );
          }
          if (message.type === "cancel") {
            check(
              wasTerminal || state === "cancelled" || state === "cancelling",
              "cancel did not cancel",
              where,
            );
            if (!wasTerminal) cancelledWhileLive = true;
          }
          const history = c.history;
          check(history.at(-1)?.[0] === state, "history's last line is not the state", where);
          // Earlier lines were checked when they were added.
          for (let i = Math.max(1, before.context.history.length); i < history.length; i++)
            check(history[i]![1] >= history[i - 1]![1], "history goes back in time", where);
          const added = history.slice(before.context.history.length).map(([s, t]) => `${s}@${t}`);
          const announced = effects
            .filter((e) => e.startsWith("transitioned:"))
            .map((e) => e.replace(/^transitioned:([a-z_]+):\d+@/, "$1@"));
          check(
            JSON.stringify(added) === JSON.stringify(announced),
            "history and announced transitions differ",
            () => ({ ...where(), added, announced }),
          );
          if (isTerminalJobState(state)) {
            check(c.deadline === null, "a terminal job has a deadline", where);
            check(after.status === "done", "a terminal job is not done", where);
          } else {
            check(after.status === "active", "a live job is not active", where);
          }
          check((c.workerId !== null) === holdsReservation(state), "worker held wrongly", where);

          if (state !== before.value) covered.add(`${before.value} -${message.type}-> ${state}`);
          model = expected.next;
          now = message.at;
        };

        // Make each message concrete against the model as it stands when it is sent.
        for (const cmd of cmds) deliver(concrete(cmd, model, now));
        // Past every deadline: a job cancelled while it lived is cancelled now.
        deliver({ type: "tick", at: now + 1e12 });
        if (cancelledWhileLive)
          check(
            actor.getSnapshot().value === "cancelled",
            "cancel did not end in cancelled",
            () => ({
              state: actor.getSnapshot().value,
            }),
          );
        actor.stop();
      }),
      { numRuns: 5_000 },
    );
    // The generator must keep reaching every way a job moves (each is hit dozens of times per
    // run, so a miss means the generator has drifted, not bad luck).
    expect(edges.filter((edge) => !covered.has(edge))).toEqual([]);
  });

  it("bounces are bounded: a job whose assignments keep bouncing fails, attempts within the limit", () => {
    // Agents that refuse, time out or vanish before starting, again and again, sometimes
    // interleaved with runs that fail: the job ends, and its assignments never pass the bound.
    const turn = fc.constantFrom("rejected", "tick", "worker_lost", "run_fails");
    fc.assert(
      fc.property(inputArb, fc.array(turn, { minLength: 1, maxLength: 60 }), (input, turns) => {
        const { actor, send } = live(input);
        let now = input.at;
        const ctx = () => actor.getSnapshot().context;
        for (let i = 0; i < 400 && actor.getSnapshot().status === "active"; i++) {
          now += 10;
          const state = stateOf(actor.getSnapshot());
          const attempt = ctx().attempt;
          if (state === "queued") {
            send({ type: "schedule", at: now, workerId: "w1", acceptBy: now + 100 });
          } else if (state === "retry_wait" || state === "cancelling") {
            now = Math.max(now, ctx().deadline ?? now);
            send({ type: "tick", at: now });
          } else if (state === "running") {
            send({ type: "failed", at: now, attempt, error: "exit 1", exitCode: 1 });
          } else if (state === "scheduled") {
            const t = turns[i % turns.length]!;
            if (t === "rejected") send({ type: "rejected", at: now, attempt, reason: "full" });
            else if (t === "worker_lost") send({ type: "worker_lost", at: now, workerId: "w1" });
            else if (t === "tick") send({ type: "tick", at: (now = now + 100) });
            else send({ type: "started", at: now, attempt });
          }
          const c = ctx();
          check(c.bounces <= maxBounces, "bounces exceeds maxBounces", () => c);
          check(
            c.attempt <= input.retry.maxAttempts + maxBounces,
            "attempt over the bound",
            () => c,
          );
        }
        const end = actor.getSnapshot();
        check(end.status === "done", "the job never ended", () => end.context);
        if (end.context.bounces === maxBounces) {
          check(
            end.value === "failed",
            "bounces ran out but the job did not fail",
            () => end.value,
          );
          check(
            end.context.result?.error?.startsWith(`not started: ${maxBounces} assignments`) ===
              true,
            "its error does not say why",
            () => end.context.result,
          );
        }
        actor.stop();
      }),
      { numRuns: 500 },
    );
  });

  it("snapshot → JSON → restore at any point → continue ends like never stopping", () => {
    fc.assert(
      fc.property(
        inputArb,
        cmdsArb,
        fc.nat(),
        fc.constantFrom("restoreSnapshot", "resolveState"),
        (input, cmds, cutSeed, how) => {
          const messages = concretize(input, cmds);
          const cut = cutSeed % (messages.length + 1);

          const straight = live(input);
          const straightEffects: string[] = [];
          messages.forEach((message, i) => {
            const effects = straight.send(message).map(describeEffect);
            if (i >= cut) straightEffects.push(...effects);
          });

          const first = live(input);
          for (const message of messages.slice(0, cut)) first.send(message);
          const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot())) as {
            value: JobSnapshot["value"];
            context: JobSnapshot["context"];
          };
          first.actor.stop();

          const snapshot =
            how === "resolveState"
              ? jobMachine.resolveState({ value: persisted.value, context: persisted.context })
              : persisted;
          const second = live(input, snapshot);
          const restoredEffects: string[] = [];
          for (const message of messages.slice(cut))
            restoredEffects.push(...second.send(message).map(describeEffect));

          const a = straight.actor.getSnapshot();
          const b = second.actor.getSnapshot();
          check(same(a, b), "restored actor ended elsewhere", () => ({
            cut,
            straight: [a.value, a.context],
            restored: [b.value, b.context],
          }));
          check(a.status === b.status, "restored actor's status differs", () => [
            a.status,
            b.status,
          ]);
          check(
            JSON.stringify(straightEffects) === JSON.stringify(restoredEffects),
            "restored actor emitted other effects",
            () => ({ cut, straightEffects, restoredEffects }),
          );
          straight.actor.stop();
          second.actor.stop();
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
