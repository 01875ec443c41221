/**
 * The worker actor, example by example, on live actors: registration, work, heartbeats and
 * their deadline, loss, reconnection and draining, with the exact effects each step emits. The
 * fast-check model of the same machine is in property-tests/worker-lifecycle.test.ts.
 */
import { createActor } from "xstate";
import { describe, expect, it, vi } from "vitest";
import {
  workerHistoryLimit,
  workerMachine,
  type WorkerEffect,
  type WorkerInput,
  type WorkerMessage,
} from "../actors/worker.ts";

const base: WorkerInput = { workerId: "w1", heartbeatTimeoutMs: 30_000, at: 0 };

const spawn = (over: Partial<WorkerInput> = {}) => {
  const effects: WorkerEffect[] = [];
  const actor = createActor(workerMachine, { input: { ...base, ...over } });
  actor.on("*", (effect) => effects.push(effect));
  actor.start();
  const initial = [...effects];
  const send = (message: WorkerMessage): WorkerEffect[] => {
    effects.length = 0;
    actor.send(message);
    return [...effects];
  };
  const snap = () => actor.getSnapshot();
  const state = () => actor.getSnapshot().value;
  return { actor, initial, send, snap, state };
};

type Worker = ReturnType<typeof spawn>;

/** A worker connected at `at` and running `jobs`. */
const connected = (jobs: string[] = [], at = 100): Worker => {
  const worker = spawn();
  worker.send({ type: "registered", at, jobs: [] });
  jobs.forEach((jobId, i) => worker.send({ type: "job_assigned", at: at + 1 + i, jobId }));
  return worker;
};

const states = (effects: ReadonlyArray<WorkerEffect>) =>
  effects.filter((e) => e.type === "worker.transitioned").map((e) => e.state);

const frozen = (worker: Worker) =>
  JSON.stringify([worker.snap().value, worker.snap().context, worker.snap().status]);

describe("worker actor: registration and work", () => {
  it("starts registering, and is idle once registered", () => {
    const worker = spawn();
    expect(worker.state()).toBe("registering");
    expect(worker.initial).toEqual([
      { type: "worker.transitioned", workerId: "w1", state: "registering", jobs: [], at: 0 },
    ]);
    expect(worker.snap().context.deadline).toBe(30_000);

    const effects = worker.send({ type: "registered", at: 100, jobs: [] });
    expect(effects).toEqual([
      { type: "worker.reconciled", workerId: "w1", reported: [], released: [], at: 100 },
      { type: "worker.transitioned", workerId: "w1", state: "idle", jobs: [], at: 100 },
    ]);
    expect(worker.state()).toBe("idle");
    expect(worker.snap().context).toMatchObject({ deadline: 30_100, lastHeartbeatAt: 100 });
    expect(worker.snap().context.history).toEqual([
      ["registering", 0],
      ["idle", 100],
    ]);
  });

  it("passes on the jobs a first registration reports, and does not adopt them itself", () => {
    const worker = spawn();
    const effects = worker.send({ type: "registered", at: 100, jobs: ["j9"] });
    expect(effects[0]).toEqual({
      type: "worker.reconciled",
      workerId: "w1",
      reported: ["j9"],
      released: [],
      at: 100,
    });
    expect(worker.state()).toBe("idle");
    expect(worker.snap().context.jobs).toEqual([]);
  });

  it("is busy with jobs, and idle again when the last one finishes", () => {
    const worker = connected();
    expect(states(worker.send({ type: "job_assigned", at: 200, jobId: "a" }))).toEqual(["busy"]);
    expect(worker.state()).toBe("busy");
    worker.send({ type: "job_assigned", at: 210, jobId: "b" });
    // The same job twice is one job.
    worker.send({ type: "job_assigned", at: 215, jobId: "b" });
    expect(worker.snap().context.jobs).toEqual(["a", "b"]);

    expect(states(worker.send({ type: "job_finished", at: 300, jobId: "a" }))).toEqual([]);
    expect(worker.state()).toBe("busy");
    expect(worker.snap().context.jobs).toEqual(["b"]);
    // A job it does not run changes nothing.
    worker.send({ type: "job_finished", at: 305, jobId: "zz" });
    expect(worker.state()).toBe("busy");

    expect(states(worker.send({ type: "job_finished", at: 310, jobId: "b" }))).toEqual(["idle"]);
    expect(worker.state()).toBe("idle");
    expect(worker.snap().context.jobs).toEqual([]);
  });
});

describe("worker actor: heartbeats and loss", () => {
  it("moves the deadline on every heartbeat", () => {
    const worker = connected();
    expect(worker.send({ type: "heartbeat", at: 10_000 })).toEqual([]);
    expect(worker.snap().context).toMatchObject({ deadline: 40_000, lastHeartbeatAt: 10_000 });
    worker.send({ type: "heartbeat", at: 25_000 });
    expect(worker.snap().context.deadline).toBe(55_000);
  });

  it("does nothing on a tick before the deadline, and is lost at the deadline", () => {
    const worker = connected(["a", "b"]);
    worker.send({ type: "heartbeat", at: 1_000 });
    const before = frozen(worker);
    expect(worker.send({ type: "tick", at: 30_999 })).toEqual([]);
    expect(frozen(worker)).toBe(before);

    const effects = worker.send({ type: "tick", at: 31_000 });
    expect(effects).toEqual([
      { type: "worker.transitioned", workerId: "w1", state: "lost", jobs: ["a", "b"], at: 31_000 },
      { type: "worker.lost", workerId: "w1", jobs: ["a", "b"], at: 31_000 },
    ]);
    expect(worker.state()).toBe("lost");
    expect(worker.snap().context.jobs).toEqual([]);
  });

  it("is lost when it never finishes registering", () => {
    const worker = spawn();
    expect(worker.send({ type: "tick", at: 29_999 })).toEqual([]);
    const effects = worker.send({ type: "tick", at: 30_000 });
    expect(effects).toContainEqual({ type: "worker.lost", workerId: "w1", jobs: [], at: 30_000 });
    expect(worker.state()).toBe("lost");
  });

  it("ignores heartbeats and ticks once lost", () => {
    const worker = connected(["a"]);
    worker.send({ type: "tick", at: 40_000 });
    const before = frozen(worker);
    expect(worker.send({ type: "heartbeat", at: 41_000 })).toEqual([]);
    expect(worker.send({ type: "tick", at: 1_000_000 })).toEqual([]);
    expect(worker.send({ type: "job_assigned", at: 1_000_001, jobId: "b" })).toEqual([]);
    expect(frozen(worker)).toBe(before);
  });

  it("reconnects from lost: connected again, every job it reports passed on for its job to judge", () => {
    const worker = connected(["a", "b"]);
    worker.send({ type: "tick", at: 40_000 });
    const effects = worker.send({ type: "registered", at: 50_000, jobs: ["a", "x"] });
    expect(effects).toEqual([
      {
        type: "worker.reconciled",
        workerId: "w1",
        reported: ["a", "x"],
        released: [],
        at: 50_000,
      },
      { type: "worker.transitioned", workerId: "w1", state: "idle", jobs: [], at: 50_000 },
    ]);
    expect(worker.state()).toBe("idle");
    expect(worker.snap().context).toMatchObject({ jobs: [], deadline: 80_000 });
    expect(worker.snap().context.history.map(([s]) => s)).toEqual([
      "registering",
      "idle",
      "busy",
      "lost",
      "idle",
    ]);
  });
});

describe("worker actor: recovery", () => {
  it("is given a restart's grace: not lost before it, whatever its last heartbeat", () => {
    const worker = connected([]);
    worker.send({ type: "recovered", at: 90_000, graceUntil: 120_000 });
    expect(worker.snap().context.deadline).toBe(120_000);
    expect(worker.send({ type: "tick", at: 90_000 })).toEqual([]);
    expect(worker.state()).toBe("idle");
    expect(states(worker.send({ type: "tick", at: 120_000 }))).toEqual(["lost"]);
  });

  it("takes the job actors' list of its jobs: busy or idle by it, announced", () => {
    const worker = connected(["a", "b"]);
    expect(worker.send({ type: "jobs_recovered", at: 500, jobs: ["b", "c", "c"] })).toEqual([
      { type: "worker.transitioned", workerId: "w1", state: "busy", jobs: ["b", "c"], at: 500 },
    ]);
    expect(worker.snap().context.jobs).toEqual(["b", "c"]);
    expect(states(worker.send({ type: "jobs_recovered", at: 600, jobs: [] }))).toEqual(["idle"]);
    expect(worker.state()).toBe("idle");
  });

  it("a lost worker hands back again what the job actors still place on it", () => {
    const worker = connected(["a"]);
    worker.send({ type: "tick", at: 40_000 });
    expect(worker.send({ type: "jobs_recovered", at: 41_000, jobs: ["a"] })).toEqual([
      { type: "worker.lost", workerId: "w1", jobs: ["a"], at: 41_000 },
    ]);
    expect(worker.send({ type: "jobs_recovered", at: 42_000, jobs: [] })).toEqual([]);
    expect(worker.state()).toBe("lost");
  });

  it("one more job while busy is not a transition: no history line, nothing announced", () => {
    const worker = connected(["a"]);
    const lines = worker.snap().context.history.length;
    expect(worker.send({ type: "job_assigned", at: 300, jobId: "b" })).toEqual([]);
    expect(worker.snap().context.history.length).toBe(lines);
  });

  it("takes a round's assignments and ends in one message, with one transition at most", () => {
    const worker = connected();
    const changed = (at: number, ...changes: Array<readonly [string, boolean]>) =>
      worker.send({ type: "jobs_changed", at, changes });
    expect(states(changed(200, ["a", true], ["b", true], ["a", false]))).toEqual(["busy"]);
    expect(worker.snap().context.jobs).toEqual(["b"]);
    // Busy it stays, whatever the round did in between: no line, nothing announced.
    expect(changed(210, ["b", false], ["c", true], ["c", true])).toEqual([]);
    expect(worker.snap().context.jobs).toEqual(["c"]);
    expect(states(changed(220, ["c", false], ["zz", false]))).toEqual(["idle"]);
    expect(changed(230)).toEqual([]);
    expect(worker.state()).toBe("idle");
  });

  it("takes no new job while draining, and goes offline when a round ends its last", () => {
    const worker = connected(["a"]);
    worker.send({ type: "drain", at: 300 });
    const changed = (at: number, ...changes: Array<readonly [string, boolean]>) =>
      worker.send({ type: "jobs_changed", at, changes });
    expect(changed(310, ["b", true])).toEqual([]);
    expect(worker.snap().context.jobs).toEqual(["a"]);
    expect(states(changed(320, ["a", false], ["c", true]))).toEqual(["offline"]);
  });

  it("keeps its last history lines, however many jobs it ran one at a time", () => {
    const worker = connected();
    for (let i = 0; i < 500; i++) {
      worker.send({ type: "job_assigned", at: 1_000 + 2 * i, jobId: `j${i}` });
      worker.send({ type: "job_finished", at: 1_001 + 2 * i, jobId: `j${i}` });
    }
    const history = worker.snap().context.history;
    expect(history).toHaveLength(workerHistoryLimit);
    expect(history.at(-1)).toEqual(["idle", 1_999]);
    expect(history.at(-2)).toEqual(["busy", 1_998]);
    expect(history[0]).toEqual(["busy", 1_999 - workerHistoryLimit + 1]);
  });
});

describe("worker actor: reconnect while connected", () => {
  it("keeps the jobs it still reports, releases the rest, passes on all it reports", () => {
    const worker = connected(["a", "b", "c"]);
    const effects = worker.send({ type: "registered", at: 5_000, jobs: ["b", "c", "d"] });
    expect(effects[0]).toEqual({
      type: "worker.reconciled",
      workerId: "w1",
      reported: ["b", "c", "d"],
      released: ["a"],
      at: 5_000,
    });
    expect(states(effects)).toEqual(["busy"]);
    expect(worker.state()).toBe("busy");
    expect(worker.snap().context).toMatchObject({ jobs: ["b", "c"], deadline: 35_000 });
  });

  it("is idle when it reports none of its jobs", () => {
    const worker = connected(["a"]);
    const effects = worker.send({ type: "registered", at: 5_000, jobs: [] });
    expect(effects[0]).toMatchObject({ reported: [], released: ["a"] });
    expect(worker.state()).toBe("idle");
    expect(worker.snap().context.jobs).toEqual([]);
  });
});

describe("worker actor: drain", () => {
  it("drains with jobs, then goes offline when the last one finishes", () => {
    const worker = connected(["a", "b"]);
    const effects = worker.send({ type: "drain", at: 1_000 });
    expect(effects).toEqual([
      { type: "worker.drain", workerId: "w1" },
      {
        type: "worker.transitioned",
        workerId: "w1",
        state: "draining",
        jobs: ["a", "b"],
        at: 1_000,
      },
    ]);
    expect(worker.state()).toBe("draining");
    // No new work while draining.
    expect(worker.send({ type: "job_assigned", at: 1_100, jobId: "c" })).toEqual([]);
    expect(worker.snap().context.jobs).toEqual(["a", "b"]);
    worker.send({ type: "heartbeat", at: 2_000 });
    expect(worker.snap().context.deadline).toBe(32_000);

    expect(worker.send({ type: "job_finished", at: 3_000, jobId: "a" })).toEqual([]);
    expect(worker.state()).toBe("draining");
    expect(states(worker.send({ type: "job_finished", at: 4_000, jobId: "b" }))).toEqual([
      "offline",
    ]);
    expect(worker.state()).toBe("offline");
    expect(worker.snap().status).toBe("done");
  });

  it("goes offline at once when drained with no jobs", () => {
    const worker = connected();
    const effects = worker.send({ type: "drain", at: 1_000 });
    expect(effects.map((e) => e.type)).toEqual([
      "worker.drain",
      "worker.transitioned",
      "worker.transitioned",
    ]);
    expect(states(effects)).toEqual(["draining", "offline"]);
    expect(worker.state()).toBe("offline");
    expect(worker.snap().status).toBe("done");
  });

  it("goes offline when the agent leaves after draining", () => {
    const worker = connected(["a"]);
    worker.send({ type: "drain", at: 1_000 });
    expect(states(worker.send({ type: "left", at: 2_000 }))).toEqual(["offline"]);
  });

  it("is lost when the deadline passes while draining, handing its jobs back", () => {
    const worker = connected(["a", "b"]);
    worker.send({ type: "drain", at: 1_000 });
    worker.send({ type: "job_finished", at: 2_000, jobId: "a" });
    expect(worker.send({ type: "tick", at: 30_099 })).toEqual([]);
    const effects = worker.send({ type: "tick", at: 30_100 });
    expect(effects).toContainEqual({
      type: "worker.lost",
      workerId: "w1",
      jobs: ["b"],
      at: 30_100,
    });
    expect(worker.state()).toBe("lost");
    expect(worker.snap().context.jobs).toEqual([]);
  });

  it("hands back the jobs it still had when the agent leaves before they finished", () => {
    const worker = connected(["a", "b"]);
    worker.send({ type: "drain", at: 200 });
    const effects = worker.send({ type: "left", at: 300 });
    expect(effects).toContainEqual({
      type: "worker.lost",
      workerId: "w1",
      jobs: ["a", "b"],
      at: 300,
    });
    expect(worker.state()).toBe("offline");
  });

  it("reconciles a new session while draining, and counts a repeated job once", () => {
    const worker = connected(["a", "b"]);
    worker.send({ type: "drain", at: 200 });
    const effects = worker.send({ type: "registered", at: 300, jobs: ["a", "a", "z"] });
    expect(effects).toContainEqual({
      type: "worker.reconciled",
      workerId: "w1",
      reported: ["a", "z"],
      released: ["b"],
      at: 300,
    });
    expect(worker.state()).toBe("draining");
    expect(worker.snap().context.jobs).toEqual(["a"]);
  });

  it("is absorbing once offline", () => {
    const worker = connected();
    worker.send({ type: "drain", at: 1_000 });
    const before = frozen(worker);
    const everything: WorkerMessage[] = [
      { type: "registered", at: 2_000, jobs: ["a"] },
      { type: "heartbeat", at: 2_000 },
      { type: "job_assigned", at: 2_000, jobId: "a" },
      { type: "job_finished", at: 2_000, jobId: "a" },
      { type: "jobs_recovered", at: 2_000, jobs: ["a"] },
      { type: "drain", at: 2_000 },
      { type: "left", at: 2_000 },
      { type: "tick", at: Number.MAX_SAFE_INTEGER },
    ];
    // XState warns (in development builds) about events sent to an actor that has finished.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (const message of everything) {
        expect(worker.send(message)).toEqual([]);
        expect(frozen(worker)).toBe(before);
      }
    } finally {
      warn.mockRestore();
    }
  });
});
