/**
 * Pipeline runs across a supervisor restart (same store, new core): a run resumes where its
 * last commit left it, its steps' jobs are neither lost nor doubled (even when a crash lost
 * which job a step has), a job that ended while the supervisor was down is seen; a run whose
 * pipeline changed meanwhile fails with that reason. And what makes that hold: a step's job
 * is created in the very commit that records the run starting the step.
 */
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineContext } from "../actors/pipeline.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { pipeline } from "../src/pipeline/dag.ts";
import { eventually, startApi, type Harness } from "./api-harness.ts";
import { watchCommits } from "./fixtures/watched-commits.ts";

const sh = (script: string) => ({ command: { shell: script } });
const chain = pipeline("chain")
  .step("a", sh("echo a"))
  .step("b", { needs: ["a"], ...sh("echo b") })
  .step("c", { needs: ["b"], ...sh("echo c") });
const changed = pipeline("chain")
  .step("a", sh("echo a"))
  .step("b", { needs: ["a"], ...sh("echo B") })
  .step("c", { needs: ["b"], ...sh("echo c") });

type Store = ReturnType<typeof makeMemoryStore>;
const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

// Workers of the first supervisor never come back: they are lost after a short heartbeat timeout
// and their jobs placed again on the second one's worker.
const boot = async (store: Store, p = chain) => {
  const h = await startApi({ store, pipelines: [p], config: { heartbeatTimeoutMs: 1_000 } });
  open.push(h);
  return h;
};

const run = (h: Harness, runId: string) => h.json(`/api/v1/runs/${runId}`).then((r) => r.body);
const jobOf = (h: Harness, runId: string, step: string) =>
  eventually(async () => (await run(h, runId)).jobs[step] as string | undefined, `job ${step}`);
const until = (h: Harness, runId: string, state: string) =>
  eventually(async () => {
    const r = await run(h, runId);
    return r.state === state ? r : undefined;
  }, `run ${state}`);

/** A first supervisor on `store` with a worker, and a run of `chain` whose first job exists. */
const started = async (store: Store) => {
  const h1 = await boot(store);
  const w1 = await h1.register("w1");
  const { body } = await h1.json("/api/v1/pipelines/chain/runs", { method: "POST", body: "{}" });
  const runId = body.id as string;
  return { h1, w1, runId, a: await jobOf(h1, runId, "a") };
};

/** Until `jobId` is assigned to `workerId`, which heartbeats meanwhile (the other is lost). */
const placedAgain = (h: Harness, workerId: string, jobId: string) =>
  eventually(async () => {
    await h.heartbeat(workerId);
    return h.assigned.some(([w, x]) => w === workerId && x.jobId === jobId) ? true : undefined;
  }, `${jobId} placed on ${workerId}`);

/**
 * A memory store that checks, after every commit, that each step a run's committed state says
 * it started has its job, and notes the commits that carried runs or jobs.
 */
const watched = () => {
  const base = makeMemoryStore();
  const missing: string[] = [];
  const { store, commits } = watchCommits(base, (records) =>
    Effect.gen(function* () {
      for (const r of records) {
        if (r.kind !== "pipeline") continue;
        const ctx = r.snapshot.context as PipelineContext;
        const { jobs } = yield* Effect.orDie(base.jobs.list({ pipelineRunId: ctx.runId }));
        const keys = new Set(jobs.map((j) => j.spec.idempotencyKey));
        for (const step of Object.values(ctx.steps))
          if (!keys.has(`pipeline/${ctx.runId}/${step.key}`)) missing.push(step.key);
      }
    }),
  );
  return { store, commits, missing };
};

describe("pipeline runs across a restart", () => {
  it("resume where they were: the running step keeps its job, the next ones follow", async () => {
    const store = makeMemoryStore();
    const { h1, w1, runId, a } = await started(store);
    await h1.heartbeat(w1);
    await h1.finish(a);
    const b = await jobOf(h1, runId, "b");
    await h1.run(h1.core.settled);
    await open.shift()!.close();

    const h2 = await boot(store);
    const w2 = await h2.register("w2");
    const r = await run(h2, runId);
    expect(r.state).toBe("running");
    expect(r.jobs.b).toBe(b);
    // w2 stays alive while w1, silent, is lost and b is placed again, on w2.
    await placedAgain(h2, w2, b);
    await h2.finish(b);
    await h2.finish(await jobOf(h2, runId, "c"));
    const done = await until(h2, runId, "succeeded");
    const jobs = await h2.json(`/api/v1/jobs?pipelineRunId=${runId}`);
    expect(jobs.body.jobs).toHaveLength(3);
    expect(done.steps.map((s: { state: string }) => s.state)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
  });

  it("find a step's job by its key when the run's note of it was lost in a crash", async () => {
    const store = makeMemoryStore();
    const { h1, runId, a } = await started(store);
    await h1.run(h1.core.settled);
    // A step's job becoming known is not committed on its own (it needs no commit)...
    const address = `pipeline/${runId}`;
    const crashed = await h1.run(store.snapshots.load(address));
    const steps = (crashed?.snapshot.context as { steps: Record<string, { jobId: string | null }> })
      .steps;
    expect(steps["a"]?.jobId).toBeNull();
    await open.shift()!.close();
    // ...(a graceful stop writes it)...
    const stopped = await h1.run(store.snapshots.load(address));
    expect(JSON.stringify(stopped?.snapshot.context)).toContain(a);
    // ...and a crash loses it: the store as the process left it.
    await h1.run(store.snapshots.saveBatch([crashed!]));

    const h2 = await boot(store);
    const w2 = await h2.register("w2");
    // Resumed, the run submits its step again: its key finds the job, not a second one.
    expect(await jobOf(h2, runId, "a")).toBe(a);
    await placedAgain(h2, w2, a);
    await h2.finish(a);
    await h2.finish(await jobOf(h2, runId, "b"));
    await h2.finish(await jobOf(h2, runId, "c"));
    await until(h2, runId, "succeeded");
    const jobs = await h2.json(`/api/v1/jobs?pipelineRunId=${runId}`);
    expect(jobs.body.jobs).toHaveLength(3);
  });

  it("create a step's job in the commit that records the run starting it, with its need's end", async () => {
    const { store, commits, missing } = watched();
    const { h1, w1, runId, a } = await started(store);
    await h1.heartbeat(w1);
    await h1.finish(a);
    await h1.finish(await jobOf(h1, runId, "b"));
    await h1.finish(await jobOf(h1, runId, "c"));
    await until(h1, runId, "succeeded");
    expect(missing).toEqual([]);
    // Each step's job rode a commit of its run, none was created in a commit of its own; and
    // the run moved on in the commit of the result of the job it waited for.
    expect(commits.filter((c) => c.jobs > 0)).toEqual([
      { runs: 1, jobs: 1, ended: 0 },
      { runs: 1, jobs: 1, ended: 1 },
      { runs: 1, jobs: 1, ended: 1 },
    ]);
  });

  it("create a delayed step's job in that commit too, parked until it is due", async () => {
    const { store, commits, missing } = watched();
    const later = pipeline("chain")
      .step("a", sh("echo a"))
      .step("b", { needs: ["a"], ...sh("echo b"), delayMs: 60_000 });
    const h = await boot(store, later);
    const w = await h.register("w1");
    const { body } = await h.json("/api/v1/pipelines/chain/runs", { method: "POST", body: "{}" });
    await h.heartbeat(w);
    await h.finish(await jobOf(h, body.id, "a"));
    const b = await jobOf(h, body.id, "b");
    expect((await h.json(`/api/v1/jobs/${b}`)).body.state).toBe("delayed");
    expect(missing).toEqual([]);
    expect(commits.filter((c) => c.jobs > 0)).toEqual([
      { runs: 1, jobs: 1, ended: 0 },
      { runs: 1, jobs: 1, ended: 1 },
    ]);
  });

  it("fail a run whose pipeline changed while the supervisor was down, with the reason", async () => {
    const store = makeMemoryStore();
    const { h1, runId, a } = await started(store);
    await h1.run(h1.core.settled);
    await open.shift()!.close();

    const h2 = await boot(store, changed);
    const failed = await until(h2, runId, "failed");
    expect(failed.reason).toContain("changed since this run started");
    expect(failed.steps[0]).toMatchObject({ name: "a", state: "cancelled" });
    await eventually(async () => {
      const job = await h2.json(`/api/v1/jobs/${a}`);
      return job.body.state === "cancelled" ? true : undefined;
    }, "job a cancelled");
  });
});
