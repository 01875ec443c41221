/**
 * A cron schedule end to end: the real supervisor on LMDB and a real agent process. A schedule
 * firing every second (`catchUp: all`) runs for ten seconds of real time with a supervisor
 * restart in the middle: exactly one job per due second (ten), each keyed by its due time,
 * none made before its time, all run to success on the agent.
 */
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../src/domain/job.ts";
import { eventually } from "./api-harness.ts";
import { E2eResources, makeE2e, startAgent, type Supervised } from "./fixtures/e2e-harness.ts";

const started = new E2eResources();
afterEach(started.teardown);

const jobsOf = async (s: Supervised): Promise<Job[]> => {
  const page = await Effect.runPromise(s.running.core.store.jobs.list({ limit: 1000 }));
  return [...page.jobs];
};

describe("end to end: cron schedules", () => {
  it("fires once per second for ten seconds across a restart, each job run on the agent", async () => {
    const e2e = makeE2e();
    started.cleanups.push(e2e.cleanup);
    const first = await e2e.start();
    started.supervisors.push(first);
    const agent = startAgent(first.running.grpcAddress);
    started.agents.push(agent);
    await agent.workerId;
    const created = await Effect.runPromise(
      first.running.core.schedules.create({
        name: "tick",
        cron: "* * * * * *",
        job: { name: "tick", command: { argv: ["true"] } },
        overlap: "allow",
        catchUp: "all",
      }),
    );
    const from = created.createdAt;
    const until = from + 10_000;
    await eventually(
      async () => ((await jobsOf(first)).length >= 4 ? true : undefined),
      "4 firings",
      10_000,
    );

    // A restart in the middle: the firings due meanwhile are made at the next start.
    await first.stop();
    started.supervisors.length = 0;
    const second = await e2e.start();
    started.supervisors.push(second);
    await eventually(
      async () =>
        Date.now() > until + 300 && (await jobsOf(second)).length >= 10 ? true : undefined,
      "ten seconds of firings",
      20_000,
    );
    await Effect.runPromise(second.running.core.schedules.remove("tick"));
    const jobs = await jobsOf(second);
    const dueOf = (j: Job) => Date.parse(j.spec.idempotencyKey!.slice("schedule/tick/".length));
    const due = jobs.map(dueOf).sort((a, b) => a - b);
    expect(new Set(due).size).toBe(due.length);
    const expected: number[] = [];
    for (let t = Math.floor(from / 1000) * 1000 + 1000; t <= until; t += 1000) expected.push(t);
    expect(due.filter((t) => t <= until)).toEqual(expected);
    for (const j of jobs) expect(j.createdAt).toBeGreaterThanOrEqual(dueOf(j));
    const ended = await eventually(
      async () => {
        const now = await jobsOf(second);
        return now.every((j) => ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state))
          ? now
          : undefined;
      },
      "every firing's job to end",
      20_000,
    ).catch(async () => jobsOf(second));
    expect(ended.map((j) => [j.state, j.transitions.map((t) => t.state).join(",")])).toEqual(
      ended.map((j) => ["succeeded", j.transitions.map((t) => t.state).join(",")]),
    );
  }, 60_000);
});
