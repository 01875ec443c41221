/**
 * Pipelines through the real core and HTTP API, with the scripted agent of api-harness.ts: runs
 * start, their steps' jobs are placed when their needs succeed, outputs flow, signals reach
 * the machine, cancel stops the steps, and every bad request is refused and changes nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assign, setup } from "xstate";
import { pipeline } from "../src/pipeline/dag.ts";
import { fromMachine } from "../src/pipeline/pipeline.ts";
import { runJob } from "../src/pipeline/run-job.ts";
import { eventually, startApi, type Harness } from "./api-harness.ts";

const sh = (script: string) => ({ command: { shell: script } });

const diamond = pipeline("diamond")
  .step("a", sh("echo a"))
  .step("b", { needs: ["a"], ...sh("echo b") })
  .step("c", {
    needs: ["a"],
    job: ({ outputs }) => sh(`echo ${String(outputs.a?.["version"] ?? "none")}`),
  })
  .step("d", { needs: ["b", "c"], ...sh("echo d") });

const approval = fromMachine(
  "approval",
  setup({ actors: { runJob }, types: { context: {} as { by: string | null } } }).createMachine({
    id: "approval",
    context: { by: null },
    initial: "build",
    states: {
      build: { invoke: { id: "build", src: "runJob", input: sh("make"), onDone: "waiting" } },
      waiting: {
        on: {
          approve: { target: "deploy", actions: assign({ by: ({ event }) => event["by"] }) },
          reject: "failed",
        },
      },
      deploy: { invoke: { id: "deploy", src: "runJob", input: sh("deploy"), onDone: "done" } },
      done: { type: "final" },
      failed: { type: "final" },
    },
  }),
);

let h: Harness;
afterEach(() => h?.close());

const jobOf = async (runId: string, step: string) =>
  eventually(async () => {
    const { body } = await h.json(`/api/v1/runs/${runId}`);
    return body.jobs[step] as string | undefined;
  }, `the job of step ${step}`);

const runState = (runId: string, state: string) =>
  eventually(async () => {
    const { body } = await h.json(`/api/v1/runs/${runId}`);
    return body.state === state ? body : undefined;
  }, `run ${runId} ${state}`);

const start = async (name: string, input?: unknown) => {
  const res = await h.json(`/api/v1/pipelines/${name}/runs`, {
    method: "POST",
    body: JSON.stringify(input === undefined ? {} : { input }),
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

describe("pipeline runs through the API", () => {
  it("runs a diamond: each step starts when its needs succeed, outputs flow to later steps", async () => {
    h = await startApi({ pipelines: [diamond] });
    await h.register("w1");
    const { body: list } = await h.json("/api/v1/pipelines");
    expect(list.pipelines[0]).toMatchObject({ name: "diamond", source: "code" });
    const runId = await start("diamond");
    const a = await jobOf(runId, "a");
    const { body: early } = await h.json(`/api/v1/runs/${runId}`);
    expect(early.steps.map((s: { state: string }) => s.state)).toEqual([
      "running",
      "waiting",
      "waiting",
      "waiting",
    ]);
    await h.start(a);
    await h.finish(a, { kind: "succeeded", exitCode: 0, output: { version: "1.2.3" } });
    const [b, c] = [await jobOf(runId, "b"), await jobOf(runId, "c")];
    const cJob = await h.json(`/api/v1/jobs/${c}`);
    expect(cJob.body.spec.command.shell).toBe("echo 1.2.3");
    expect(cJob.body.pipelineRunId).toBe(runId);
    await h.finish(b);
    const { body: mid } = await h.json(`/api/v1/runs/${runId}`);
    expect(mid.jobs.d).toBeUndefined();
    await h.finish(c);
    await h.finish(await jobOf(runId, "d"));
    const done = await runState(runId, "succeeded");
    expect(done.steps.every((s: { state: string }) => s.state === "succeeded")).toBe(true);
    const stored = await h.run(h.store.pipelines.getRun(runId));
    expect(stored.state).toBe("succeeded");
    const metrics = await (await h.fetch("/api/v1/metrics")).text();
    expect(metrics).toContain('hodei_pipeline_runs_finished_total{state="succeeded"} 1');
    expect(metrics).toContain('hodei_pipeline_runs_finished_total{state="failed"} 0');
  });

  it("fails fast: a failed step cancels its running sibling and skips what is left", async () => {
    h = await startApi({ pipelines: [diamond] });
    await h.register("w1");
    const runId = await start("diamond");
    await h.finish(await jobOf(runId, "a"));
    const [b, c] = [await jobOf(runId, "b"), await jobOf(runId, "c")];
    await h.start(c);
    await h.finish(b, { kind: "failed", exitCode: 2, error: "exit 2" });
    const failed = await runState(runId, "failed");
    const states = Object.fromEntries(
      failed.steps.map((s: { name: string; state: string }) => [s.name, s.state]),
    );
    expect(states).toEqual({ a: "succeeded", b: "failed", c: "cancelled", d: "skipped" });
    await eventually(() => (h.cancelled.includes(c) ? true : undefined), "c cancelled");
  });

  it("waits for a signal; refuses signals the machine does not take now", async () => {
    h = await startApi({ pipelines: [approval] });
    await h.register("w1");
    const runId = await start("approval");
    const signal = (body: unknown) =>
      h.json(`/api/v1/runs/${runId}/signal`, { method: "POST", body: JSON.stringify(body) });
    expect((await signal({ type: "approve" })).status).toBe(409);
    // Running its build step, it takes no signal: none is listed.
    expect((await h.json(`/api/v1/runs/${runId}`)).body.signals).toBeUndefined();
    await h.finish(await jobOf(runId, "build"));
    await eventually(async () => ((await signal({ type: "nope" })).status === 409 ? 1 : undefined));
    // Waiting, the run says which signals its machine takes now.
    const waiting = await h.json(`/api/v1/runs/${runId}`);
    expect(waiting.body.signals).toEqual(["approve", "reject"]);
    expect((await signal({ type: "xstate.init" })).status).toBe(400);
    expect((await signal({ by: "x" })).status).toBe(400);
    const ok = await signal({ type: "approve", by: "ana" });
    expect(ok.status).toBe(202);
    // Answered after the run's next state was committed: deploy has started.
    expect(ok.body.steps.map((s: { name: string }) => s.name)).toEqual(["build", "deploy"]);
    await h.finish(await jobOf(runId, "deploy"));
    const done = await runState(runId, "succeeded");
    expect(done.steps.map((s: { name: string }) => s.name)).toEqual(["build", "deploy"]);
    expect(done.signals).toBeUndefined();
  });

  it("cancels a run: its running step's job is cancelled; a second cancel is a conflict", async () => {
    h = await startApi({ pipelines: [approval] });
    await h.register("w1");
    const runId = await start("approval");
    const build = await jobOf(runId, "build");
    await h.start(build);
    const res = await h.json(`/api/v1/runs/${runId}/cancel`, { method: "POST" });
    expect(res.status).toBe(202);
    await eventually(() => (h.cancelled.includes(build) ? true : undefined), "build cancelled");
    const run = await runState(runId, "cancelled");
    expect(run.steps[0]).toMatchObject({ name: "build", state: "cancelled" });
    expect((await h.json(`/api/v1/runs/${runId}/cancel`, { method: "POST" })).status).toBe(409);
    const metrics = await (await h.fetch("/api/v1/metrics")).text();
    expect(metrics).toContain('hodei_pipeline_runs_finished_total{state="cancelled"} 1');
  });

  it("refuses bad requests and changes nothing", async () => {
    h = await startApi({ pipelines: [diamond] });
    expect(
      (await h.json("/api/v1/pipelines/nope/runs", { method: "POST", body: "{}" })).status,
    ).toBe(404);
    expect((await h.json("/api/v1/runs/01JUNKJUNKJUNKJUNKJUNKJUNK")).status).toBe(404);
    const bad = await h.fetch("/api/v1/pipelines/diamond/runs", { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
    const cycle = await h.json("/api/v1/pipelines", {
      method: "POST",
      body: JSON.stringify({
        name: "loop",
        steps: [
          { name: "x", needs: ["y"], job: { name: "x", command: { argv: ["true"] } } },
          { name: "y", needs: ["x"], job: { name: "y", command: { argv: ["true"] } } },
        ],
      }),
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.message).toContain("x -> y -> x");
    const taken = await h.json("/api/v1/pipelines", {
      method: "POST",
      body: JSON.stringify({
        name: "diamond",
        steps: [{ name: "x", job: { name: "x", command: { argv: ["true"] } } }],
      }),
    });
    expect(taken.status).toBe(409);
    expect((await h.json("/api/v1/runs")).body.runs).toEqual([]);
    expect((await h.json("/api/v1/pipelines")).body.pipelines).toHaveLength(1);
  });

  it("registers a declarative pipeline, stores it and runs it", async () => {
    h = await startApi();
    await h.register("w1");
    const def = {
      name: "etl",
      steps: [
        { name: "extract", job: { name: "extract", command: { argv: ["true"] } } },
        { name: "load", needs: ["extract"], job: { name: "load", command: { argv: ["true"] } } },
      ],
    };
    const res = await h.json("/api/v1/pipelines", { method: "POST", body: JSON.stringify(def) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "etl", source: "declarative" });
    expect((await h.run(h.store.pipelines.listDefinitions())).map((d) => d.name)).toEqual(["etl"]);
    const runId = await start("etl");
    await h.finish(await jobOf(runId, "extract"));
    // A new version while the run is in flight: the run goes on with the version it started on.
    const v2 = structuredClone(def) as {
      steps: Array<{ name: string; needs?: string[]; job: { name: string; command: object } }>;
    };
    v2.steps[1]!.job.command = { argv: ["echo", "v2"] };
    v2.steps.push({
      name: "report",
      needs: ["load"],
      job: { name: "report", command: { argv: ["true"] } },
    });
    const again = await h.json("/api/v1/pipelines", { method: "POST", body: JSON.stringify(v2) });
    expect(again.status).toBe(201);
    expect(again.body.version).not.toBe(res.body.version);
    const load = await jobOf(runId, "load");
    // Its view keeps the plan of its own version, not the new one's.
    const inFlight = await h.json(`/api/v1/runs/${runId}`);
    expect(inFlight.body.steps.map((x: { name: string }) => x.name)).toEqual(["extract", "load"]);
    expect((await h.json(`/api/v1/jobs/${load}`)).body.spec.command.argv).toEqual(["true"]);
    await h.finish(load);
    await runState(runId, "succeeded");
    const next = await start("etl");
    await h.finish(await jobOf(next, "extract"));
    const load2 = await jobOf(next, "load");
    expect((await h.json(`/api/v1/jobs/${load2}`)).body.spec.command.argv).toEqual(["echo", "v2"]);
  });
});
