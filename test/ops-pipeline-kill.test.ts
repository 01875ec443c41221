/**
 * A pipeline run through SIGKILLs of its supervisor, as an operator meets them: `hodei serve`
 * and a `hodei worker` as real processes, on LMDB and on PostgreSQL. The supervisor is killed
 * while each stage of a fan-out/fan-in run has a job running, and started again on the same
 * store; the agent, which outlives it, reconnects and reports. The run succeeds with exactly
 * one job per step: no step lost, none doubled.
 */
import { describe, expect, it } from "vitest";
import {
  eventually,
  freePort,
  opsScopePerTest,
  serveStores,
  startServe,
  startWorker,
  type ApiClient,
} from "./fixtures/ops-harness.ts";

const scope = opsScopePerTest();

const stores = serveStores((f) => scope.onCleanup(f));

const job = (name: string) => ({
  name,
  command: { shell: `sleep 0.4; echo ${name}` },
  retry: { maxAttempts: 3 },
});
const fanned = {
  name: "fanned",
  steps: [
    { name: "a", needs: [], job: job("a") },
    ...["b1", "b2", "b3"].map((name) => ({ name, needs: ["a"], job: job(name) })),
    { name: "z", needs: ["b1", "b2", "b3"], job: job("z") },
  ],
};

interface RunView {
  readonly state: string;
  readonly jobs: Record<string, string>;
}
const runOf = async (api: ApiClient, id: string) =>
  (await api.call("GET", `/runs/${id}`)).body as RunView;

/** Until a job of one of `steps` is running. */
const stepRunning = (api: ApiClient, runId: string, steps: ReadonlyArray<string>) =>
  eventually(`a job of ${steps.join(", ")} running`, async () => {
    const run = await runOf(api, runId);
    for (const s of steps) {
      const id = run.jobs[s];
      if (id !== undefined && (await api.job(id)).state === "running") return true;
    }
    return undefined;
  });

describe.each(stores)("a pipeline run through SIGKILLs ($name)", (store) => {
  it("ends with one job per step, each succeeded", { timeout: 120_000 }, async () => {
    const dir = scope.dir();
    const [http, grpc] = [await freePort(), await freePort()];
    const args = [...(await store.args()), "--heartbeat-interval-ms", "200"];
    const serve = () => startServe({ dir, http, grpc, args }).then(scope.track);
    let served = await serve();
    scope.track(startWorker(grpc, ["--max-jobs", "4"]));
    const applied = await served.api.call("POST", "/pipelines", fanned);
    expect(applied.status).toBe(201);
    const started = await served.api.call("POST", "/pipelines/fanned/runs", {});
    expect(started.status).toBe(201);
    const runId = (started.body as { id: string }).id;

    for (const stage of [["a"], ["b1", "b2", "b3"], ["z"]]) {
      await stepRunning(served.api, runId, stage);
      served.proc.kill("SIGKILL");
      await served.exited;
      served = await serve();
    }
    const api = served.api;
    const done = await eventually(
      "the run ended",
      async () => {
        const run = await runOf(api, runId);
        return run.state === "running" ? undefined : run;
      },
      60_000,
      100,
    );
    expect(done.state).toBe("succeeded");
    const { body } = await api.call("GET", `/jobs?pipelineRunId=${runId}&limit=100`);
    const jobs = (body as { jobs: Array<{ id: string; state: string; pipelineStep: string }> })
      .jobs;
    expect(jobs.map((j) => j.pipelineStep).sort()).toEqual(["a", "b1", "b2", "b3", "z"]);
    expect(jobs.filter((j) => j.state !== "succeeded")).toEqual([]);
    expect(Object.values(done.jobs).sort()).toEqual(jobs.map((j) => j.id).sort());
  });
});
