/**
 * The job actor, example by example, on live actors: every lifecycle the supervisor relies on,
 * with the exact effects it emits and the exact deadlines it keeps. The fast-check model of the
 * same machine is in property-tests/job-lifecycle.test.ts.
 */
import { createActor, transition } from "xstate";
import { describe, expect, it, vi } from "vitest";
import { jobMachine, type JobEffect, type JobInput, type JobMessage } from "../actors/job.ts";
import {
  backoffDelayMs,
  bounceDelayMs,
  maxBounces,
  type RetryPolicy,
} from "../src/domain/retry.ts";

const retry: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0.2,
};

const base: JobInput = {
  jobId: "job-1",
  retry,
  timeoutMs: 5_000,
  cancelGraceMs: 1_000,
  at: 0,
};

/** A live job actor, its effects collected; `send` answers the effects of that one message. */
const spawn = (over: Partial<JobInput> = {}) => {
  const effects: JobEffect[] = [];
  const actor = createActor(jobMachine, { input: { ...base, ...over } });
  actor.on("*", (effect) => effects.push(effect));
  actor.start();
  const initial = [...effects];
  const send = (message: JobMessage): JobEffect[] => {
    effects.length = 0;
    actor.send(message);
    return [...effects];
  };
  const snap = () => actor.getSnapshot();
  return { actor, initial, send, snap };
};

type Job = ReturnType<typeof spawn>;

const schedule = (at: number, workerId = "w1", acceptBy = at + 1_000): JobMessage => ({
  type: "schedule",
  at,
  workerId,
  acceptBy,
});

/** Brings a fresh job to `running` on w1 (attempt 1 started at `at`). */
const running = (over: Partial<JobInput> = {}, at = 20): Job => {
  const job = spawn(over);
  job.send(schedule(10));
  job.send({ type: "started", at, attempt: 1 });
  expect(job.snap().value).toBe("running");
  return job;
};

const transitioned = (effects: ReadonlyArray<JobEffect>) =>
  effects.filter((e) => e.type === "job.transitioned").map((e) => e.state);

/** What a message must leave alone: the state, and every field of the context. */
const frozen = (job: Job) => JSON.stringify([job.snap().value, job.snap().context]);

describe("job actor: happy path", () => {
  it("goes queued → scheduled → running → succeeded, with history timestamps", () => {
    const job = spawn();
    expect(job.snap().value).toBe("queued");
    expect(job.initial).toEqual([
      {
        type: "job.transitioned",
        jobId: "job-1",
        state: "queued",
        attempt: 0,
        workerId: null,
        result: null,
        at: 0,
      },
    ]);

    expect(job.send(schedule(10, "w1", 1_010))).toEqual([
      {
        type: "job.transitioned",
        jobId: "job-1",
        state: "scheduled",
        attempt: 1,
        workerId: "w1",
        result: null,
        at: 10,
      },
      { type: "job.assign", jobId: "job-1", workerId: "w1", attempt: 1, acceptBy: 1_010 },
    ]);
    expect(job.snap().context).toMatchObject({ attempt: 1, starts: 0, deadline: 1_010 });

    expect(transitioned(job.send({ type: "started", at: 20, attempt: 1 }))).toEqual(["running"]);
    // The backstop: the agent's timeout plus the cancel grace.
    expect(job.snap().context).toMatchObject({ starts: 1, workerId: "w1", deadline: 6_020 });

    const done = job.send({
      type: "succeeded",
      at: 500,
      attempt: 1,
      exitCode: 0,
      output: { artifacts: 2 },
    });
    expect(done).toEqual([
      {
        type: "job.transitioned",
        jobId: "job-1",
        state: "succeeded",
        attempt: 1,
        workerId: null,
        result: { exitCode: 0, output: { artifacts: 2 }, error: null },
        at: 500,
      },
    ]);
    const { status, value, context } = job.snap();
    expect(status).toBe("done");
    expect(value).toBe("succeeded");
    expect(context).toMatchObject({ attempt: 1, starts: 1, workerId: null, deadline: null });
    // The scheduled line names the attempt's worker, the last one its exit code.
    expect(context.history).toEqual([
      ["queued", 0],
      ["scheduled", 10, "w1"],
      ["running", 20],
      ["succeeded", 500, 0],
    ]);
  });

  it("takes a result without a start message as a run (the start folded into it)", () => {
    const job = spawn();
    job.send(schedule(10));
    expect(transitioned(job.send({ type: "succeeded", at: 30, attempt: 1 }))).toEqual([
      "succeeded",
    ]);
    expect(job.snap().context).toMatchObject({ starts: 1, deadline: null });
  });

  it("counts a folded start on a later attempt too", () => {
    const job = running();
    job.send({ type: "failed", at: 100, attempt: 1, error: "boom" });
    job.send({ type: "tick", at: 1_000_000 });
    job.send(schedule(1_000_001));
    job.send({ type: "succeeded", at: 1_000_002, attempt: 2 });
    expect(job.snap().value).toBe("succeeded");
    expect(job.snap().context).toMatchObject({ attempt: 2, starts: 2 });
  });

  it("has no backstop deadline when the job has no timeout", () => {
    const job = running({ timeoutMs: null });
    expect(job.snap().context.deadline).toBeNull();
    expect(job.send({ type: "tick", at: Number.MAX_SAFE_INTEGER })).toEqual([]);
    expect(job.snap().value).toBe("running");
  });
});

describe("job actor: retries", () => {
  it("waits for the backoff deadline between attempts, and fails when they are spent", () => {
    const job = running();

    const first = job.send({ type: "failed", at: 100, attempt: 1, exitCode: 2, error: "boom" });
    expect(transitioned(first)).toEqual(["retry_wait"]);
    const wait1 = backoffDelayMs(retry, 1, "job-1");
    expect(wait1).toBeGreaterThanOrEqual(800);
    expect(wait1).toBeLessThanOrEqual(1_000);
    expect(job.snap().context).toMatchObject({
      starts: 1,
      attempt: 1,
      workerId: null,
      deadline: 100 + wait1,
      result: { exitCode: 2, output: null, error: "boom" },
    });

    // Not a millisecond early.
    expect(job.send({ type: "tick", at: 100 + wait1 - 1 })).toEqual([]);
    expect(job.snap().value).toBe("retry_wait");
    expect(transitioned(job.send({ type: "tick", at: 100 + wait1 }))).toEqual(["queued"]);
    expect(job.snap().context).toMatchObject({ workerId: null, deadline: null });

    const t2 = 100 + wait1 + 10;
    job.send(schedule(t2, "w2"));
    expect(job.snap().context).toMatchObject({ attempt: 2, workerId: "w2" });
    job.send({ type: "started", at: t2 + 1, attempt: 2 });
    job.send({ type: "failed", at: t2 + 50, attempt: 2, error: "boom again" });
    const wait2 = backoffDelayMs(retry, 2, "job-1");
    expect(wait2).toBeGreaterThanOrEqual(1_600);
    expect(wait2).toBeLessThanOrEqual(2_000);
    expect(job.snap().value).toBe("retry_wait");
    expect(job.snap().context).toMatchObject({ starts: 2, deadline: t2 + 50 + wait2 });

    const t3 = t2 + 50 + wait2;
    job.send({ type: "tick", at: t3 });
    job.send(schedule(t3 + 1, "w1"));
    job.send({ type: "started", at: t3 + 2, attempt: 3 });
    const last = job.send({ type: "failed", at: t3 + 3, attempt: 3, error: "still broken" });
    expect(transitioned(last)).toEqual(["failed"]);
    expect(job.snap().status).toBe("done");
    expect(job.snap().context).toMatchObject({
      starts: 3,
      attempt: 3,
      deadline: null,
      workerId: null,
      result: { exitCode: null, output: null, error: "still broken" },
    });
    expect(job.snap().context.history.map(([s]) => s)).toEqual([
      "queued",
      "scheduled",
      "running",
      "retry_wait",
      "queued",
      "scheduled",
      "running",
      "retry_wait",
      "queued",
      "scheduled",
      "running",
      "failed",
    ]);
  });

  it("fails at once when the policy allows a single attempt", () => {
    const job = running({ retry: { ...retry, maxAttempts: 1 } });
    expect(transitioned(job.send({ type: "failed", at: 30, attempt: 1, error: "x" }))).toEqual([
      "failed",
    ]);
  });
});

describe("job actor: placement that does not start", () => {
  it("counts a failure reported straight from scheduled as a run (the start was folded in)", () => {
    const job = spawn({ retry: { ...retry, maxAttempts: 2 } });
    job.send(schedule(10));
    expect(
      transitioned(job.send({ type: "failed", at: 20, attempt: 1, error: "no such file" })),
    ).toEqual(["retry_wait"]);
    expect(job.snap().context.starts).toBe(1);
    job.send({ type: "tick", at: 100_000 });
    job.send(schedule(100_010));
    expect(
      transitioned(job.send({ type: "failed", at: 100_020, attempt: 2, error: "again" })),
    ).toEqual(["failed"]);
    expect(job.snap().context).toMatchObject({ starts: 2, result: { error: "again" } });
  });

  it("bounces when the acceptance deadline passes: placed again after a backoff, no start used", () => {
    const job = spawn();
    job.send(schedule(10, "w1", 1_000));
    expect(job.send({ type: "tick", at: 999 })).toEqual([]);
    expect(job.snap().value).toBe("scheduled");

    const expired = job.send({ type: "tick", at: 1_000 });
    expect(transitioned(expired)).toEqual(["retry_wait"]);
    // The agent may still hold the assignment: it is told to drop it.
    expect(expired).toContainEqual({
      type: "job.cancel_on_agent",
      jobId: "job-1",
      workerId: "w1",
      attempt: 1,
      graceMs: 1_000,
    });
    expect(job.snap().context).toMatchObject({
      attempt: 1,
      starts: 0,
      bounces: 1,
      workerId: null,
      deadline: 1_000 + bounceDelayMs(1, "job-1"),
    });
    expect(transitioned(job.send({ type: "tick", at: 1_000 + bounceDelayMs(1, "job-1") }))).toEqual(
      ["queued"],
    );

    const next = job.send(schedule(1_100, "w2", 2_000));
    expect(next).toContainEqual({
      type: "job.assign",
      jobId: "job-1",
      workerId: "w2",
      attempt: 2,
      acceptBy: 2_000,
    });
    expect(job.snap().context).toMatchObject({ attempt: 2, starts: 0 });
    // The first assignment's agent starting late is a stale attempt.
    const late = job.send({ type: "started", at: 1_200, attempt: 1 });
    expect(late).toEqual([
      {
        type: "job.refused",
        jobId: "job-1",
        eventType: "started",
        attempt: 1,
        current: 2,
        reason: "stale_attempt",
      },
    ]);
    job.send({ type: "started", at: 1_300, attempt: 2 });
    expect(job.snap().value).toBe("running");
    expect(job.snap().context).toMatchObject({ attempt: 2, starts: 1 });
  });

  it("bounces when the agent rejects the assignment", () => {
    const job = spawn();
    job.send(schedule(10));
    const effects = job.send({ type: "rejected", at: 20, attempt: 1, reason: "draining" });
    expect(transitioned(effects)).toEqual(["retry_wait"]);
    expect(job.snap().context).toMatchObject({ attempt: 1, starts: 0, bounces: 1, workerId: null });
    job.send({ type: "tick", at: 20 + bounceDelayMs(1, "job-1") });
    job.send(schedule(30_000, "w2"));
    expect(job.snap().context).toMatchObject({ attempt: 2, workerId: "w2" });
  });

  it("bounces when its worker is lost before the start, and ignores other workers", () => {
    const job = spawn();
    job.send(schedule(10, "w1"));
    expect(job.send({ type: "worker_lost", at: 15, workerId: "w9" })).toEqual([]);
    expect(job.snap().value).toBe("scheduled");

    expect(transitioned(job.send({ type: "worker_lost", at: 20, workerId: "w1" }))).toEqual([
      "retry_wait",
    ]);
    expect(job.snap().context).toMatchObject({ attempt: 1, starts: 0, workerId: null });
  });

  it("fails once its assignments have bounced maxBounces times, saying why", () => {
    const job = spawn();
    let at = 10;
    for (let b = 1; b <= maxBounces; b++) {
      job.send(schedule(at, "w1"));
      const effects = job.send({ type: "rejected", at: at + 1, attempt: b, reason: "full" });
      at += 1 + bounceDelayMs(b, "job-1");
      if (b < maxBounces) job.send({ type: "tick", at });
      else expect(transitioned(effects)).toEqual(["failed"]);
    }
    expect(job.snap().context).toMatchObject({
      attempt: maxBounces,
      starts: 0,
      bounces: maxBounces,
      result: {
        error: `not started: ${maxBounces} assignments were not taken (the last: refused by the agent: full)`,
      },
    });
  });

  it("runs an assignment the agent reports after a reconnect (its JobAccepted was lost)", () => {
    const job = spawn();
    job.send(schedule(10, "w1"));
    expect(job.send({ type: "reattached", at: 20, workerId: "w2", attempt: 1 })).toMatchObject([
      { type: "job.refused", reason: "not_applicable" },
    ]);
    expect(
      transitioned(job.send({ type: "reattached", at: 30, workerId: "w1", attempt: 1 })),
    ).toEqual(["running"]);
    expect(job.snap().context).toMatchObject({ starts: 1, deadline: 30 + 5_000 + 1_000 });
  });

  it("gives agents a restart's grace: the acceptance deadline is not passed before it", () => {
    const job = spawn();
    job.send(schedule(10, "w1", 1_000));
    job.send({ type: "recovered", at: 5_000, graceUntil: 35_000 });
    expect(job.snap().context.deadline).toBe(35_000);
    expect(job.send({ type: "tick", at: 5_000 })).toEqual([]);
    expect(job.snap().value).toBe("scheduled");
  });
});

describe("job actor: worker lost while running", () => {
  it("retries when attempts remain", () => {
    const job = running();
    expect(job.send({ type: "worker_lost", at: 30, workerId: "w2" })).toEqual([]);
    const effects = job.send({ type: "worker_lost", at: 40, workerId: "w1" });
    expect(transitioned(effects)).toEqual(["retry_wait"]);
    expect(job.snap().context).toMatchObject({
      starts: 1,
      workerId: null,
      deadline: 40 + backoffDelayMs(retry, 1, "job-1"),
      result: { exitCode: null, output: null, error: "the worker was lost" },
    });
  });

  it("on its last attempt, waits the lost grace for the worker, then fails", () => {
    const job = running({ retry: { ...retry, maxAttempts: 1 }, lostGraceMs: 60_000 });
    expect(job.send({ type: "worker_lost", at: 40, workerId: "w1" })).toEqual([]);
    expect(job.snap().context).toMatchObject({ workerLostAt: 40, deadline: 60_040 });
    // Lost again (a recovery hands its jobs back once more): the wait is not extended.
    expect(job.send({ type: "worker_lost", at: 50, workerId: "w1" })).toEqual([]);
    expect(job.snap().context.deadline).toBe(60_040);
    const ended = job.send({ type: "tick", at: 60_040 });
    expect(transitioned(ended)).toEqual(["failed"]);
    // Not stopped on the agent: there is none to tell.
    expect(ended.filter((e) => e.type === "job.cancel_on_agent")).toEqual([]);
    expect(job.snap().context.result?.error).toBe("the worker was lost");
  });

  it("on its last attempt, fails at once when its worker comes back without it, waiting or not", () => {
    const error = "its worker came back without it (the agent no longer ran it)";
    const fresh = running({ retry: { ...retry, maxAttempts: 1 }, lostGraceMs: 60_000 });
    // Another worker's new session says nothing of this job.
    expect(fresh.send({ type: "worker_lost", at: 30, workerId: "w9", returned: true })).toEqual([]);
    const ended = fresh.send({ type: "worker_lost", at: 40, workerId: "w1", returned: true });
    expect(transitioned(ended)).toEqual(["failed"]);
    expect(fresh.snap().context.result?.error).toBe(error);

    const waiting = running({ retry: { ...retry, maxAttempts: 1 }, lostGraceMs: 60_000 });
    waiting.send({ type: "worker_lost", at: 40, workerId: "w1" });
    expect(waiting.snap().value).toBe("running");
    const back = waiting.send({ type: "worker_lost", at: 5_000, workerId: "w1", returned: true });
    expect(transitioned(back)).toEqual(["failed"]);
    expect(waiting.snap().context.result?.error).toBe(error);
  });

  it("with attempts left, is placed again when its worker comes back without it", () => {
    const job = running({ retry: { ...retry, maxAttempts: 2 }, lostGraceMs: 60_000 });
    const effects = job.send({ type: "worker_lost", at: 40, workerId: "w1", returned: true });
    expect(transitioned(effects)).toEqual(["retry_wait"]);
  });

  it("on its last attempt, ends as the agent says when the worker comes back", () => {
    const job = running({ retry: { ...retry, maxAttempts: 1 }, lostGraceMs: 60_000 });
    job.send({ type: "worker_lost", at: 40, workerId: "w1" });
    expect(job.send({ type: "reattached", at: 5_000, workerId: "w1", attempt: 1 })).toEqual([]);
    // Its usual deadline again (start + timeout + grace), and at least a grace from now.
    expect(job.snap().context).toMatchObject({ workerLostAt: null, deadline: 20 + 5_000 + 1_000 });
    job.send({ type: "reattached", at: 5_900, workerId: "w1", attempt: 1 });
    expect(job.snap().context.deadline).toBe(6_900);
    const done = job.send({ type: "succeeded", at: 6_000, attempt: 1, exitCode: 0 });
    expect(transitioned(done)).toEqual(["succeeded"]);
  });
});

describe("job actor: timeouts", () => {
  it("ends timed_out when the agent reports a timeout and no attempts remain", () => {
    const job = running({ retry: { ...retry, maxAttempts: 1 } });
    const effects = job.send({ type: "timed_out", at: 5_020, attempt: 1 });
    expect(transitioned(effects)).toEqual(["timed_out"]);
    expect(job.snap().status).toBe("done");
    expect(job.snap().context).toMatchObject({
      deadline: null,
      result: { exitCode: null, output: null, error: "timed out on the agent" },
    });
  });

  it("retries a timed-out attempt when attempts remain, then ends timed_out", () => {
    const job = running({ retry: { ...retry, maxAttempts: 2 } });
    expect(transitioned(job.send({ type: "timed_out", at: 5_020, attempt: 1 }))).toEqual([
      "retry_wait",
    ]);
    expect(job.snap().context.deadline).toBe(5_020 + backoffDelayMs(retry, 1, "job-1"));
    job.send({ type: "tick", at: 100_000 });
    job.send(schedule(100_001));
    job.send({ type: "started", at: 100_002, attempt: 2 });
    expect(transitioned(job.send({ type: "timed_out", at: 105_002, attempt: 2 }))).toEqual([
      "timed_out",
    ]);
  });

  it("stops the attempt itself when the agent never reports past timeout + grace", () => {
    const job = running({ retry: { ...retry, maxAttempts: 1 } }, 20);
    expect(job.snap().context.deadline).toBe(20 + 5_000 + 1_000);
    expect(job.send({ type: "tick", at: 6_019 })).toEqual([]);
    expect(job.snap().value).toBe("running");

    const effects = job.send({ type: "tick", at: 6_020 });
    expect(effects.map((e) => e.type)).toEqual(["job.cancel_on_agent", "job.transitioned"]);
    expect(effects[0]).toEqual({
      type: "job.cancel_on_agent",
      jobId: "job-1",
      workerId: "w1",
      attempt: 1,
      graceMs: 1_000,
    });
    expect(transitioned(effects)).toEqual(["timed_out"]);
    expect(job.snap().context.result?.error).toBe("no report from the agent before the deadline");
  });

  it("retries after the backstop deadline when attempts remain", () => {
    const job = running({}, 20);
    const effects = job.send({ type: "tick", at: 7_000 });
    expect(effects.map((e) => e.type)).toEqual(["job.cancel_on_agent", "job.transitioned"]);
    expect(transitioned(effects)).toEqual(["retry_wait"]);
    expect(job.snap().context.deadline).toBe(7_000 + backoffDelayMs(retry, 1, "job-1"));
  });
});

describe("job actor: cancel", () => {
  it("cancels a queued job at once", () => {
    const job = spawn();
    const effects = job.send({ type: "cancel", at: 5, reason: "user" });
    expect(effects.map((e) => e.type)).toEqual(["job.transitioned"]);
    expect(transitioned(effects)).toEqual(["cancelled"]);
    expect(job.snap().status).toBe("done");
    expect(job.snap().context.deadline).toBeNull();
  });

  it("cancels a job waiting to retry at once", () => {
    const job = running();
    job.send({ type: "failed", at: 30, attempt: 1, error: "x" });
    expect(job.snap().value).toBe("retry_wait");
    const effects = job.send({ type: "cancel", at: 40 });
    expect(effects.map((e) => e.type)).toEqual(["job.transitioned"]);
    expect(job.snap().value).toBe("cancelled");
    expect(job.snap().context.deadline).toBeNull();
  });

  it("cancels a scheduled job at once, and tells its agent", () => {
    const job = spawn();
    job.send(schedule(10, "w1"));
    const effects = job.send({ type: "cancel", at: 15 });
    expect(effects).toEqual([
      { type: "job.cancel_on_agent", jobId: "job-1", workerId: "w1", attempt: 1, graceMs: 1_000 },
      expect.objectContaining({ type: "job.transitioned", state: "cancelled", at: 15 }),
    ]);
    expect(job.snap().value).toBe("cancelled");
  });

  const cancelling = () => {
    const job = running({}, 20);
    const effects = job.send({ type: "cancel", at: 100 });
    expect(effects).toEqual([
      { type: "job.cancel_on_agent", jobId: "job-1", workerId: "w1", attempt: 1, graceMs: 1_000 },
      expect.objectContaining({ type: "job.transitioned", state: "cancelling", at: 100 }),
    ]);
    expect(job.snap().value).toBe("cancelling");
    expect(job.snap().context.deadline).toBe(1_100);
    return job;
  };

  it("asks the agent to stop a running job, and is cancelled on its confirmation", () => {
    const job = cancelling();
    // Asking again changes nothing and sends nothing.
    expect(job.send({ type: "cancel", at: 150 })).toEqual([]);
    // A confirmation from another attempt is refused.
    expect(job.send({ type: "cancelled", at: 160, attempt: 2 })).toEqual([
      expect.objectContaining({ type: "job.refused", reason: "stale_attempt" }),
    ]);
    expect(job.snap().value).toBe("cancelling");
    expect(transitioned(job.send({ type: "cancelled", at: 200, attempt: 1 }))).toEqual([
      "cancelled",
    ]);
    expect(job.snap().status).toBe("done");
    expect(job.snap().context.history.map(([s, t]) => `${s}@${t}`)).toEqual([
      "queued@0",
      "scheduled@10",
      "running@20",
      "cancelling@100",
      "cancelled@200",
    ]);
  });

  it.each([
    { type: "succeeded", at: 300, attempt: 1 },
    { type: "failed", at: 300, attempt: 1, error: "killed" },
    { type: "timed_out", at: 300, attempt: 1 },
  ] satisfies JobMessage[])("is cancelled by a late result ($type)", (late) => {
    const job = cancelling();
    expect(transitioned(job.send(late))).toEqual(["cancelled"]);
    expect(job.snap().context.deadline).toBeNull();
  });

  it("is cancelled when the grace period passes without a word from the agent", () => {
    const job = cancelling();
    expect(job.send({ type: "tick", at: 1_099 })).toEqual([]);
    expect(job.snap().value).toBe("cancelling");
    const effects = job.send({ type: "tick", at: 1_100 });
    // The agent was already asked to stop; it is not asked again.
    expect(effects.map((e) => e.type)).toEqual(["job.transitioned"]);
    expect(job.snap().value).toBe("cancelled");
  });

  it("is cancelled when its worker is lost while cancelling", () => {
    const job = cancelling();
    expect(job.send({ type: "worker_lost", at: 500, workerId: "w2" })).toEqual([]);
    expect(transitioned(job.send({ type: "worker_lost", at: 600, workerId: "w1" }))).toEqual([
      "cancelled",
    ]);
  });
});

describe("job actor: refused messages", () => {
  /** Reports from an agent: each names the attempt it belongs to. */
  const stale: Extract<JobMessage, { attempt: number }>[] = [
    { type: "started", at: 50, attempt: 0 },
    { type: "started", at: 50, attempt: 2 },
    { type: "succeeded", at: 50, attempt: 0 },
    { type: "failed", at: 50, attempt: 2, error: "x" },
    { type: "timed_out", at: 50, attempt: 0 },
    { type: "rejected", at: 50, attempt: 2, reason: "full" },
    { type: "cancelled", at: 50, attempt: 0 },
  ];
  it.each(stale.map((m) => [`${m.type} from attempt ${m.attempt}`, m] as const))(
    "refuses %s (the current one is 1) and changes nothing",
    (_, message) => {
      const scheduled = spawn();
      scheduled.send(schedule(10));
      for (const job of [scheduled, running()]) {
        const before = frozen(job);
        expect(job.send(message)).toEqual([
          {
            type: "job.refused",
            jobId: "job-1",
            eventType: message.type,
            attempt: message.attempt,
            current: 1,
            reason: "stale_attempt",
          },
        ]);
        expect(frozen(job)).toBe(before);
      }
    },
  );

  it("refuses, as not applicable, a current message that means nothing in this state", () => {
    const job = running();
    const before = frozen(job);
    expect(job.send({ type: "started", at: 30, attempt: 1 })).toEqual([
      {
        type: "job.refused",
        jobId: "job-1",
        eventType: "started",
        attempt: 1,
        current: 1,
        reason: "not_applicable",
      },
    ]);
    expect(job.send(schedule(40, "w2"))).toEqual([
      {
        type: "job.refused",
        jobId: "job-1",
        eventType: "schedule",
        attempt: null,
        current: 1,
        reason: "not_applicable",
      },
    ]);
    expect(frozen(job)).toBe(before);
  });
});

describe("job actor: terminal states are absorbing", () => {
  const everything: JobMessage[] = [
    { type: "schedule", at: 10_000, workerId: "w2", acceptBy: 11_000 },
    { type: "started", at: 10_000, attempt: 1 },
    { type: "started", at: 10_000, attempt: 2 },
    { type: "succeeded", at: 10_000, attempt: 1 },
    { type: "failed", at: 10_000, attempt: 1, error: "x" },
    { type: "timed_out", at: 10_000, attempt: 1 },
    { type: "rejected", at: 10_000, attempt: 1, reason: "r" },
    { type: "cancelled", at: 10_000, attempt: 1 },
    { type: "cancel", at: 10_000 },
    { type: "worker_lost", at: 10_000, workerId: "w1" },
    { type: "tick", at: Number.MAX_SAFE_INTEGER },
  ];

  const endings: Record<string, () => Job> = {
    succeeded: () => {
      const j = running();
      j.send({ type: "succeeded", at: 100, attempt: 1 });
      return j;
    },
    failed: () => {
      const j = running({ retry: { ...retry, maxAttempts: 1 } });
      j.send({ type: "failed", at: 100, attempt: 1, error: "x" });
      return j;
    },
    timed_out: () => {
      const j = running({ retry: { ...retry, maxAttempts: 1 } });
      j.send({ type: "timed_out", at: 100, attempt: 1 });
      return j;
    },
    cancelled: () => {
      const j = spawn();
      j.send(schedule(10));
      j.send({ type: "cancel", at: 20 });
      return j;
    },
  };

  it.each(Object.keys(endings))("%s: no message changes anything or emits anything", (name) => {
    const job = endings[name]!();
    expect(job.snap().value).toBe(name);
    const before = frozen(job);
    // XState warns (in development builds) about events sent to an actor that has finished.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (const message of everything) {
        expect(job.send(message)).toEqual([]);
        expect(frozen(job)).toBe(before);
        expect(job.snap().status).toBe("done");
      }
    } finally {
      warn.mockRestore();
    }
  });

  it.each(Object.keys(endings))(
    "%s: the pure transition of a terminal snapshot changes nothing either",
    (name) => {
      const job = endings[name]!();
      const persisted = JSON.parse(JSON.stringify(job.actor.getPersistedSnapshot()));
      const snapshot = jobMachine.resolveState(persisted);
      for (const message of everything) {
        const [next, actions] = transition(jobMachine, snapshot, message);
        expect(JSON.stringify([next.value, next.context])).toBe(
          JSON.stringify([snapshot.value, snapshot.context]),
        );
        expect(next.status).toBe("done");
        // At most a refusal is emitted; never a transition or an order to an agent.
        for (const action of actions) {
          const effect = (action.params as { event?: JobEffect } | undefined)?.event;
          expect(effect?.type ?? "job.refused").toBe("job.refused");
        }
      }
    },
  );
});
