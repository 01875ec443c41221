/**
 * A pipeline run on each persistent store, through the supervisor: every step's job is
 * created in the commit that records the run starting the step, with the result of the job
 * the step waited for (LMDB: one write transaction; PostgreSQL: one transaction of two
 * statements), and the run ends with one job per step.
 */
import { afterEach, describe, expect, it } from "vitest";
import { pipeline } from "../src/pipeline/dag.ts";
import { eventually, startApi, type Harness } from "./api-harness.ts";
import { adapters, type OpenedStore } from "./fixtures/persistence-adapters.ts";
import { watchCommits } from "./fixtures/watched-commits.ts";

const sh = (script: string) => ({ command: { shell: script } });
const chain = pipeline("chain")
  .step("a", sh("echo a"))
  .step("b", { needs: ["a"], ...sh("echo b") })
  .step("c", { needs: ["b"], ...sh("echo c") });

const open: Array<Harness | OpenedStore> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe.each(adapters.filter((a) => a.name !== "memory"))("pipelines on $name", (adapter) => {
  it("start each step in the commit of its run's state and its need's result", async () => {
    const opened = await adapter.open();
    open.push(opened);
    const { store, commits } = watchCommits(opened.store);
    const h = await startApi({ store, pipelines: [chain] });
    open.push(h);
    const w = await h.register("w1");
    const { body } = await h.json("/api/v1/pipelines/chain/runs", { method: "POST", body: "{}" });
    const runId = body.id as string;
    const jobOf = (step: string) =>
      eventually(async () => {
        const r = await h.json(`/api/v1/runs/${runId}`);
        return r.body.jobs[step] as string | undefined;
      }, `job ${step}`);
    await h.heartbeat(w);
    for (const step of ["a", "b", "c"]) await h.finish(await jobOf(step));
    await eventually(async () => {
      const r = await h.json(`/api/v1/runs/${runId}`);
      return r.body.state === "succeeded" ? true : undefined;
    }, "run succeeded");
    expect(commits.filter((c) => c.jobs > 0)).toEqual([
      { runs: 1, jobs: 1, ended: 0 },
      { runs: 1, jobs: 1, ended: 1 },
      { runs: 1, jobs: 1, ended: 1 },
    ]);
    const jobs = await h.json(`/api/v1/jobs?pipelineRunId=${runId}`);
    expect(jobs.body.jobs).toHaveLength(3);
  });
});
