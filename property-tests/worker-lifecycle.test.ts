/**
 * The worker actor against a reference model, on random message sequences.
 *
 * fast-check generates registrations (reporting a random subset of jobs, in any order),
 * heartbeats, assignments, finished jobs (mostly ones it runs, sometimes others), drains,
 * goodbyes and ticks (later, at, or just before the heartbeat deadline), with a clock that never
 * goes back. After every message the live actor is checked against the model and the invariants:
 *
 * - state, jobs, deadline and last heartbeat equal the model's, and so do the effects (drain
 *   requests, loss hand-backs, reconciliations, transitions with the jobs they announce);
 * - `offline` is absorbing;
 * - when lost, the worker holds no job, and the `worker.lost` effect listed exactly the jobs it
 *   held;
 * - while connected it is `busy` exactly when it holds a job;
 * - a tick never makes it lost before its deadline (the last registration or heartbeat it took,
 *   plus the timeout, or a restart's grace if that is later), and always does once the
 *   deadline has passed;
 * - history times never decrease and its last line is the current state.
 *
 * A second property stops the actor at a random point, round-trips its persisted snapshot
 * through JSON, restores it and continues: it must end exactly where the uninterrupted actor
 * ends, having emitted exactly the same effects after the cut.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { createActor, type SnapshotFrom } from "xstate";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import {
  workerMachine,
  type WorkerEffect,
  type WorkerInput,
  type WorkerMessage,
} from "../actors/worker.ts";
import type { WorkerState } from "../src/domain/worker.ts";

// ---------------------------------------------------------------------------------------------
// The reference model.

interface Model {
  readonly state: WorkerState;
  readonly jobs: ReadonlyArray<string>;
  /** When the worker last showed it was alive: its registration or a heartbeat it took. */
  readonly aliveAt: number;
  /** That plus the timeout, or a restart's grace if later. */
  readonly deadline: number;
}

interface Step {
  readonly next: Model;
  readonly effects: ReadonlyArray<string>;
}

const list = (jobs: ReadonlyArray<string>) => `[${jobs.join(",")}]`;

const describeEffect = (e: WorkerEffect): string => {
  switch (e.type) {
    case "worker.transitioned":
      return `transitioned:${e.state}${list(e.jobs)}@${e.at}`;
    case "worker.lost":
      return `lost${list(e.jobs)}@${e.at}`;
    case "worker.reconciled":
      return `reconciled:reported${list(e.reported)}:released${list(e.released)}@${e.at}`;
    case "worker.drain":
      return "drain";
  }
};

const connected = (state: WorkerState) => state === "idle" || state === "busy";

const step = (m: Model, e: WorkerMessage, input: WorkerInput): Step => {
  const stay: Step = { next: m, effects: [] };
  const entered = (state: WorkerState, jobs: ReadonlyArray<string>) =>
    `transitioned:${state}${list(jobs)}@${e.at}`;
  const deadline = m.deadline;
  const alive = { aliveAt: e.at, deadline: e.at + input.heartbeatTimeoutMs };
  switch (e.type) {
    case "registered": {
      if (m.state === "offline") return stay;
      // The agent's report is the truth: what it still runs is kept, the rest released; each
      // job it reports is offered back to its job actor.
      const report = [...new Set(e.jobs)];
      const kept = report.filter((j) => m.jobs.includes(j));
      const released = m.jobs.filter((j) => !e.jobs.includes(j));
      const reconciled = `reconciled:reported${list(report)}:released${list(released)}@${e.at}`;
      if (m.state === "draining") {
        // Still draining: done at once when nothing it runs is left.
        return kept.length > 0
          ? { next: { ...m, jobs: kept, ...alive }, effects: [reconciled] }
          : {
              next: { state: "offline", jobs: kept, ...alive },
              effects: [reconciled, entered("offline", kept)],
            };
      }
      const state = kept.length > 0 ? "busy" : "idle";
      return {
        next: { state, jobs: kept, ...alive },
        effects: [reconciled, entered(state, kept)],
      };
    }
    case "heartbeat":
      return connected(m.state) || m.state === "draining"
        ? { next: { ...m, ...alive }, effects: [] }
        : stay;
    case "recovered":
      return m.state === "lost" || m.state === "offline"
        ? stay
        : { next: { ...m, deadline: Math.max(m.deadline, e.graceUntil) }, effects: [] };
    case "job_assigned": {
      if (!connected(m.state)) return stay;
      const jobs = m.jobs.includes(e.jobId) ? m.jobs : [...m.jobs, e.jobId];
      // The first job makes it busy (announced); more jobs only join the list.
      if (m.state === "busy") return { next: { ...m, jobs }, effects: [] };
      return { next: { ...m, state: "busy", jobs }, effects: [entered("busy", jobs)] };
    }
    case "jobs_recovered": {
      // Recovery: the job actors' list replaces its own; a lost worker hands them back again.
      const jobs = [...new Set(e.jobs)];
      if (m.state === "offline") return stay;
      if (m.state === "lost")
        return { next: m, effects: jobs.length > 0 ? [`lost${list(jobs)}@${e.at}`] : [] };
      if (m.state === "registering") return { next: { ...m, jobs }, effects: [] };
      if (m.state === "draining") {
        return jobs.length > 0
          ? { next: { ...m, jobs }, effects: [] }
          : { next: { ...m, state: "offline", jobs }, effects: [entered("offline", jobs)] };
      }
      const state = jobs.length > 0 ? "busy" : "idle";
      return { next: { ...m, state, jobs }, effects: [entered(state, jobs)] };
    }
    case "job_finished": {
      if (m.state !== "busy" && m.state !== "draining") return stay;
      const jobs = m.jobs.filter((j) => j !== e.jobId);
      if (jobs.length > 0) return { next: { ...m, jobs }, effects: [] };
      const state = m.state === "busy" ? "idle" : "offline";
      return { next: { ...m, state, jobs }, effects: [entered(state, jobs)] };
    }
    case "jobs_changed": {
      // A round's assignments and ends at once: the list as they leave it one by one (a
      // draining worker takes nothing new), and at most the one transition they end in.
      if (!connected(m.state) && m.state !== "draining") return stay;
      let jobs = m.jobs;
      for (const [jobId, assigned] of e.changes) {
        if (!assigned) jobs = jobs.filter((j) => j !== jobId);
        else if (m.state !== "draining" && !jobs.includes(jobId)) jobs = [...jobs, jobId];
      }
      const state =
        m.state === "draining"
          ? jobs.length > 0
            ? "draining"
            : "offline"
          : jobs.length > 0
            ? "busy"
            : "idle";
      return {
        next: { ...m, state, jobs },
        effects: state === m.state ? [] : [entered(state, jobs)],
      };
    }
    case "drain": {
      if (!connected(m.state)) return stay;
      const effects = ["drain", entered("draining", m.jobs)];
      return m.jobs.length > 0
        ? { next: { ...m, state: "draining" }, effects }
        : { next: { ...m, state: "offline" }, effects: [...effects, entered("offline", m.jobs)] };
    }
    case "left":
      // Jobs it still had are handed back for re-placement.
      if (m.state !== "draining") return stay;
      return {
        next: { ...m, state: "offline", jobs: [] },
        effects: [
          ...(m.jobs.length > 0 ? [`lost${list(m.jobs)}@${e.at}`] : []),
          entered("offline", []),
        ],
      };
    case "forget":
      // Only a lost worker is forgotten; it has handed its jobs back already.
      if (m.state !== "lost") return stay;
      return { next: { ...m, state: "offline" }, effects: [entered("offline", m.jobs)] };
    case "tick":
      if (m.state === "lost" || m.state === "offline" || e.at < deadline) return stay;
      return {
        next: { ...m, state: "lost", jobs: [] },
        effects: [entered("lost", m.jobs), `lost${list(m.jobs)}@${e.at}`],
      };
  }
};

// ---------------------------------------------------------------------------------------------
// Abstract commands, made concrete against the model when they run.

const jobIds = ["j1", "j2", "j3", "j4", "j5"] as const;

type Cmd =
  | { readonly k: "registered"; readonly dt: number; readonly jobs: ReadonlyArray<string> }
  | { readonly k: "heartbeat" | "drain" | "left" | "forget"; readonly dt: number }
  | { readonly k: "job_assigned"; readonly dt: number; readonly pick: number }
  | {
      readonly k: "job_finished";
      readonly dt: number;
      readonly pick: number;
      readonly held: boolean;
    }
  | {
      readonly k: "jobs_changed";
      readonly dt: number;
      readonly changes: ReadonlyArray<readonly [pick: number, assigned: boolean]>;
    }
  | { readonly k: "tick"; readonly dt: number; readonly when: "later" | "deadline" | "before" }
  | { readonly k: "recovered"; readonly dt: number; readonly grace: number }
  | { readonly k: "jobs_recovered"; readonly dt: number; readonly jobs: ReadonlyArray<string> };

const dtArb = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 100 }), weight: 4 },
  { arbitrary: fc.integer({ min: 101, max: 10_000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 10_001, max: 100_000 }), weight: 1 },
);

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    arbitrary: fc.record({
      k: fc.constant("registered" as const),
      dt: dtArb,
      jobs: fc.shuffledSubarray([...jobIds]),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ k: fc.constant("heartbeat" as const), dt: dtArb }), weight: 6 },
  {
    arbitrary: fc.record({ k: fc.constant("job_assigned" as const), dt: dtArb, pick: fc.nat() }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("job_finished" as const),
      dt: dtArb,
      pick: fc.nat(),
      held: fc.boolean(),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("jobs_changed" as const),
      dt: dtArb,
      changes: fc.array(fc.tuple(fc.nat({ max: 40 }), fc.boolean()), { maxLength: 24 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ k: fc.constant("drain" as const), dt: dtArb }), weight: 1 },
  {
    arbitrary: fc.record({
      k: fc.constant("jobs_recovered" as const),
      dt: dtArb,
      jobs: fc.subarray([...jobIds]),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ k: fc.constant("left" as const), dt: dtArb }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant("forget" as const), dt: dtArb }), weight: 1 },
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
);

const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 40, size: "max" });

const inputArb: fc.Arbitrary<WorkerInput> = fc.record(
  {
    workerId: fc.constantFrom("w1", "worker-7"),
    heartbeatTimeoutMs: fc.integer({ min: 1, max: 30_000 }),
    at: fc.integer({ min: 0, max: 1_000_000 }),
  },
  { noNullPrototype: true },
);

const concrete = (cmd: Cmd, m: Model, now: number, input: WorkerInput): WorkerMessage => {
  const at = now + cmd.dt;
  switch (cmd.k) {
    case "registered":
      return { type: "registered", at, jobs: cmd.jobs };
    case "heartbeat":
    case "drain":
    case "left":
    case "forget":
      return { type: cmd.k, at };
    case "job_assigned":
      return { type: "job_assigned", at, jobId: jobIds[cmd.pick % jobIds.length]! };
    case "jobs_recovered":
      return { type: "jobs_recovered", at, jobs: cmd.jobs };
    case "recovered":
      return { type: "recovered", at, graceUntil: at + cmd.grace };
    case "job_finished": {
      const from = cmd.held && m.jobs.length > 0 ? m.jobs : jobIds;
      return { type: "job_finished", at, jobId: from[cmd.pick % from.length]! };
    }
    case "jobs_changed":
      return {
        type: "jobs_changed",
        at,
        changes: cmd.changes.map(([pick, assigned]) => [jobIds[pick % jobIds.length]!, assigned]),
      };
    case "tick": {
      const deadline = m.deadline;
      const when = { later: at, deadline, before: deadline - 1 }[cmd.when];
      return { type: "tick", at: Math.max(now, when) };
    }
  }
};

const initialModel = (input: WorkerInput): Model => ({
  state: "registering",
  jobs: [],
  aliveAt: input.at,
  deadline: input.at + input.heartbeatTimeoutMs,
});

const concretize = (input: WorkerInput, cmds: ReadonlyArray<Cmd>): WorkerMessage[] => {
  let model = initialModel(input);
  let now = input.at;
  return cmds.map((cmd) => {
    const message = concrete(cmd, model, now, input);
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

type WorkerSnapshot = SnapshotFrom<typeof workerMachine>;

/** The state as the domain names it: the machine never rests in its transient `choose`. */
const stateOf = (s: WorkerSnapshot): WorkerState => {
  if (s.value === "choose") throw new Error("the worker rests in the transient state `choose`");
  return s.value;
};

const same = (a: WorkerSnapshot, b: WorkerSnapshot): boolean =>
  isDeepStrictEqual(a.value, b.value) && isDeepStrictEqual(a.context, b.context);

/**
 * A live actor, fresh or restored from `snapshot` (then `input` is not used), whose effects are
 * collected: `send` answers the effects of that one message.
 */
const live = (input: WorkerInput, snapshot?: unknown) => {
  const effects: WorkerEffect[] = [];
  const actor =
    snapshot === undefined
      ? createActor(workerMachine, { input })
      : createActor(workerMachine, { input, snapshot: snapshot as WorkerSnapshot });
  actor.on("*", (effect) => effects.push(effect));
  actor.start();
  effects.length = 0;
  return {
    actor,
    send: (message: WorkerMessage): WorkerEffect[] => {
      effects.length = 0;
      actor.send(message);
      return effects.slice();
    },
  };
};

// An offline worker's actor is stopped; XState (development build) warns about every event sent
// to it.
let warn: MockInstance;
beforeAll(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterAll(() => warn.mockRestore());

/** Every state change the machine can make, as `from -message-> to`. */
const edges = [
  "registering -registered-> idle",
  "registering -tick-> lost",
  "idle -job_assigned-> busy",
  "idle -drain-> offline",
  "idle -tick-> lost",
  "busy -job_finished-> idle",
  "busy -registered-> idle",
  "busy -drain-> draining",
  "busy -tick-> lost",
  "draining -job_finished-> offline",
  "draining -left-> offline",
  "draining -tick-> lost",
  "lost -registered-> idle",
];
const covered = new Set<string>();

// ---------------------------------------------------------------------------------------------

describe("worker lifecycle (model-based)", () => {
  it("follows the model and keeps every invariant, message after message", () => {
    fc.assert(
      fc.property(inputArb, cmdsArb, (input, cmds) => {
        const { actor, send } = live(input);
        let model = initialModel(input);
        let now = input.at;
        check(stateOf(actor.getSnapshot()) === "registering", "does not start registering");

        for (const cmd of cmds) {
          const message = concrete(cmd, model, now, input);
          const before = actor.getSnapshot();
          const from = stateOf(before);
          const expected = step(model, message, input);
          const effects = send(message).map(describeEffect);
          const after = actor.getSnapshot();
          const state = stateOf(after);
          const c = after.context;
          const where = () => ({ message, model, expected: expected.next, state, context: c });

          // The machine is the model.
          check(state === expected.next.state, "state differs from the model", where);
          check(isDeepStrictEqual(c.jobs, expected.next.jobs), "jobs differ", where);
          check(c.lastHeartbeatAt === expected.next.aliveAt, "last heartbeat differs", where);
          check(c.deadline === expected.next.deadline, "deadline differs from the model", where);
          check(
            c.deadline >= expected.next.aliveAt + input.heartbeatTimeoutMs,
            "deadline earlier than the last sign of life plus the timeout",
            where,
          );
          check(
            JSON.stringify(effects) === JSON.stringify(expected.effects),
            "effects differ from the model",
            () => ({ ...where(), effects, expectedEffects: expected.effects }),
          );

          // Invariants.
          if (from === "offline") {
            check(same(after, before), "an offline worker changed", where);
            check(effects.length === 0, "an offline worker emitted", () => ({
              ...where(),
              effects,
            }));
          }
          check((state === "offline") === (after.status === "done"), "offline is final", where);
          if (state === "lost") check(c.jobs.length === 0, "a lost worker holds jobs", where);
          if (state === "lost" && from !== "lost") {
            const handedBack = effects.filter((e) => e.startsWith("lost"));
            check(
              isDeepStrictEqual(handedBack, [`lost${list(before.context.jobs)}@${message.at}`]),
              "worker.lost did not list exactly the jobs it held",
              () => ({ ...where(), effects }),
            );
          }
          if (connected(state))
            check((state === "busy") === c.jobs.length > 0, "busy is not 'holds jobs'", where);
          if (message.type === "tick") {
            const deadline = model.deadline;
            const live = from !== "lost" && from !== "offline";
            if (live && message.at < deadline) check(state === from, "lost before deadline", where);
            if (live && message.at >= deadline)
              check(state === "lost", "not lost past deadline", where);
          }
          const history = c.history;
          check(history.at(-1)?.[0] === state, "history's last line is not the state", where);
          // Earlier lines were checked when they were added.
          for (let i = Math.max(1, before.context.history.length); i < history.length; i++)
            check(history[i]![1] >= history[i - 1]![1], "history goes back in time", where);
          const added = history.slice(before.context.history.length).map(([s, t]) => `${s}@${t}`);
          const announced = effects
            .filter((e) => e.startsWith("transitioned:"))
            .map((e) => e.replace(/^transitioned:([a-z_]+)\[[^\]]*\]@/, "$1@"));
          check(
            JSON.stringify(added) === JSON.stringify(announced),
            "history and announced transitions differ",
            () => ({ ...where(), added, announced }),
          );

          if (state !== from) covered.add(`${from} -${message.type}-> ${state}`);
          model = expected.next;
          now = message.at;
        }
        actor.stop();
      }),
      { numRuns: 3_000 },
    );
    // Each is hit many times per run: a miss means the generator has drifted, not bad luck.
    expect(edges.filter((edge) => !covered.has(edge))).toEqual([]);
  });

  it("snapshot → JSON → restore at any point → continue ends like never stopping", () => {
    fc.assert(
      fc.property(inputArb, cmdsArb, fc.nat(), (input, cmds, cutSeed) => {
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
        const persisted: unknown = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
        first.actor.stop();

        const second = live(input, persisted);
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
        check(a.status === b.status, "restored actor's status differs", () => [a.status, b.status]);
        check(
          JSON.stringify(straightEffects) === JSON.stringify(restoredEffects),
          "restored actor emitted other effects",
          () => ({ cut, straightEffects, restoredEffects }),
        );
        straight.actor.stop();
        second.actor.stop();
      }),
      { numRuns: 1_500 },
    );
  });
});
