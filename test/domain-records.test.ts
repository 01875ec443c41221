/**
 * The other domain records and helpers: ids, job states, Job and WorkerInfo records, constraint
 * matching, priorities and the tagged errors.
 */
import { Either, Schema } from "effect";
import { describe, expect, it } from "vitest";
import {
  decodeJobSpec,
  decodeWith,
  describeConstraint,
  firstUnmet,
  isTerminalJobState,
  Job,
  JobId,
  jobStates,
  matchesConstraint,
  newJob,
  newJobId,
  NotFound,
  PipelineRunId,
  priorityLevelOf,
  StaleAttempt,
  Unplaceable,
  WorkerId,
  WorkerInfo,
  type Constraint,
  type JobSpec,
} from "../src/domain/index.ts";

describe("ids", () => {
  it("decodes ULIDs as JobId and PipelineRunId, and refuses anything else", () => {
    const id = newJobId();
    expect(Either.isRight(decodeWith(JobId)(id))).toBe(true);
    expect(Either.isRight(decodeWith(PipelineRunId)(id))).toBe(true);
    for (const bad of ["", "not-a-ulid", id.toLowerCase(), `${id}X`, 42]) {
      const r = decodeWith(JobId)(bad);
      expect(Either.isLeft(r) && r.left.issues[0]?.path).toBe("");
    }
  });

  it("refuses a malformed WorkerId", () => {
    expect(Either.isRight(decodeWith(WorkerId)("node-1.eu"))).toBe(true);
    expect(Either.isLeft(decodeWith(WorkerId)("-node"))).toBe(true);
    expect(Either.isLeft(decodeWith(WorkerId)("a b"))).toBe(true);
  });

  it("makes ids that sort by creation time", () => {
    const ids = [newJobId(1_000), newJobId(1_000), newJobId(2_000)];
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("job states", () => {
  it("marks exactly the four end states terminal", () => {
    expect(jobStates.filter(isTerminalJobState)).toEqual([
      "succeeded",
      "failed",
      "cancelled",
      "timed_out",
    ]);
  });
});

const spec = Either.getOrThrow(
  decodeJobSpec({ name: "j", handler: { name: "h" } }),
) satisfies JobSpec;

describe("Job record", () => {
  it("round-trips a new job and a finished one through JSON", () => {
    const fresh = newJob(newJobId(), spec, 1_700_000_000_000);
    const done: Job = {
      ...fresh,
      state: "succeeded",
      attempt: 1,
      updatedAt: fresh.createdAt + 10,
      transitions: [
        ...fresh.transitions,
        { state: "succeeded", at: fresh.createdAt + 10, attempt: 1 },
      ],
      workerId: "w1" as WorkerId,
      result: { output: { ok: true } },
    };
    for (const job of [fresh, done]) {
      const wire = JSON.parse(JSON.stringify(Schema.encodeSync(Job)(job)));
      expect(Either.getOrThrow(decodeWith(Job)(wire))).toEqual(job);
    }
  });

  it("refuses an unknown state by path", () => {
    const wire = { ...Schema.encodeSync(Job)(newJob(newJobId(), spec, 0)), state: "done" };
    const r = decodeWith(Job)(wire);
    expect(Either.isLeft(r) && r.left.issues.map((i) => i.path)).toEqual(["state"]);
  });
});

describe("WorkerInfo", () => {
  const worker = {
    id: "w-1",
    name: "host-1",
    capacity: { cpuMillis: 4000, memoryMb: 8192, gpus: 0, maxJobs: 8 },
    labels: { zone: "eu" },
    handlers: ["images.resize"],
    state: "idle",
    registeredAt: 1,
    lastHeartbeatAt: 2,
  };

  it("decodes a worker, with or without telemetry", () => {
    expect(Either.isRight(decodeWith(WorkerInfo)(worker))).toBe(true);
    const telemetry = {
      cpuPercent: 12.5,
      memoryUsedMb: 100,
      memoryTotalMb: 8192,
      load1: 0.3,
      diskFreeMb: 1e5,
      runningJobs: 0,
      at: 3,
    };
    expect(Either.isRight(decodeWith(WorkerInfo)({ ...worker, telemetry }))).toBe(true);
  });

  it("refuses bad capacity and state with their paths", () => {
    const bad = { ...worker, state: "sleeping", capacity: { ...worker.capacity, maxJobs: 0 } };
    const r = decodeWith(WorkerInfo)(bad);
    expect(Either.isLeft(r) && r.left.issues.map((i) => i.path)).toEqual([
      "capacity.maxJobs",
      "state",
    ]);
  });
});

describe("constraints", () => {
  const labels = { gpu: "true", zone: "eu" };
  const cases: ReadonlyArray<[Constraint, boolean]> = [
    [{ key: "gpu", op: "eq", value: "true" }, true],
    [{ key: "gpu", op: "eq", value: "false" }, false],
    [{ key: "zone", op: "neq", value: "us" }, true],
    [{ key: "rack", op: "neq", value: "r1" }, true],
    [{ key: "zone", op: "in", values: ["us", "eu"] }, true],
    [{ key: "rack", op: "in", values: ["r1"] }, false],
    [{ key: "gpu", op: "exists" }, true],
    [{ key: "toString", op: "exists" }, false],
  ];
  it.each(cases)("%j matches: %s", (c, expected) => {
    expect(matchesConstraint(labels, c)).toBe(expected);
  });

  it("names the first unmet requirement, labels before constraints", () => {
    const unmet = firstUnmet(labels, { gpu: "false" }, [{ key: "ssd", op: "exists" }]);
    expect(unmet && describeConstraint(unmet)).toBe("gpu=false");
    expect(firstUnmet(labels, { gpu: "true" }, [{ key: "zone", op: "in", values: ["eu"] }])).toBe(
      undefined,
    );
  });
});

describe("priority and errors", () => {
  it("names the level a number falls in", () => {
    expect([0, 499, 500, 749, 750, 999, 1000].map(priorityLevelOf)).toEqual([
      "low",
      "low",
      "normal",
      "normal",
      "high",
      "high",
      "critical",
    ]);
  });

  it("gives each tagged error a tag and a readable message", () => {
    const jobId = newJobId();
    expect(new NotFound({ kind: "job", id: "x" })).toMatchObject({
      _tag: "NotFound",
      message: "job x not found",
    });
    expect(new StaleAttempt({ jobId, attempt: 1, current: 2 }).message).toBe(
      `job ${jobId}: attempt 1 is stale, the current attempt is 2`,
    );
    expect(new Unplaceable({ reason: "no worker with label gpu=true" }).message).toBe(
      "no worker with label gpu=true",
    );
  });
});
