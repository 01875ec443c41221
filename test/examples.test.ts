/**
 * Every example in examples/, run for real (a supervisor embedded with `createSupervisor`, an
 * agent over gRPC on loopback running real commands and handlers, LMDB in a temp dir) and
 * property-tested with `hodei/testing` (random outcomes, cancels, restarts, signals).
 */
import { Effect } from "effect";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { approval } from "../examples/approval.ts";
import { ci } from "../examples/ci-pipeline.ts";
import { etl } from "../examples/data-pipeline.ts";
import { runEmbedded } from "../examples/embedded-app.ts";
import {
  createSupervisor,
  createWorker,
  type EmbeddedSupervisor,
  type Pipeline,
} from "../src/index.ts";
import type { Worker } from "../src/agent/index.ts";
import { checkPipeline, property } from "../src/testing/index.ts";

const dirs: string[] = [];
const open: Array<EmbeddedSupervisor | Worker> = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-examples-"));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await ("close" in o ? o.close() : o.stop());
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const boot = async (pipelines: ReadonlyArray<Pipeline>) => {
  const sup = await createSupervisor({ pipelines, settings: { dataDir: tempDir() }, http: false });
  open.push(sup);
  const worker = createWorker({ url: sup.grpcAddress, token: sup.workerToken, workDir: tempDir() });
  open.push(worker);
  await worker.connected();
  return sup;
};

const stepStates = (run: { steps?: ReadonlyArray<{ name: string; state: string }> }) =>
  Object.fromEntries((run.steps ?? []).map((s) => [s.name, s.state]));

const submittedSteps = (trace: ReadonlyArray<{ type: string; step?: string }>) =>
  trace.filter((e) => e.type === "submitted").map((e) => e.step);

describe("examples/ci-pipeline.ts", () => {
  it("builds, tests on the matrix and deploys main, with the build's output", async () => {
    const sup = await boot([ci]);
    const run = await sup.startRun("ci", { branch: "main", sha: "abc123" });
    const done = await sup.waitForRun(run.id);
    expect(done.state).toBe("succeeded");
    expect(stepStates(done)).toEqual({
      build: "succeeded",
      "test-20": "succeeded",
      "test-22": "succeeded",
      deploy: "succeeded",
    });
    const deploy = await Effect.runPromise(sup.core.store.jobs.get(done.jobs["deploy"]!));
    expect(deploy.spec.command?.argv).toEqual(["echo", "deploying", "app-abc123.tgz"]);
  });

  it("skips deploy on another branch, and the run still succeeds", async () => {
    const sup = await boot([ci]);
    const run = await sup.startRun("ci", { branch: "feature/x", sha: "def456" });
    const done = await sup.waitForRun(run.id);
    expect([done.state, stepStates(done)["deploy"]]).toEqual(["succeeded", "skipped"]);
  });

  it("holds its properties: deploy only from main, only after every test", () => {
    checkPipeline(ci, {
      input: fc.record({
        branch: fc.constantFrom("main", "dev"),
        sha: fc.stringMatching(/^[0-9a-f]{1,12}$/),
      }),
      outputs: { build: fc.record({ artifact: fc.string() }) },
      properties: [
        property("deploys only main", (run) => {
          const branch = (run.scenario.input as { branch: string }).branch;
          return branch === "main" || !submittedSteps(run.trace).includes("deploy");
        }),
      ],
    });
  });
});

describe("examples/data-pipeline.ts and examples/embedded-app.ts", () => {
  it("runs the fan-out and fan-in through handlers in the embedding program", async () => {
    const run = await runEmbedded(tempDir(), "orders");
    expect(run.state).toBe("succeeded");
    const outputs = (run.output as { outputs: Record<string, Record<string, unknown>> }).outputs;
    expect(outputs["load"]).toEqual({ rows: 600 + 601 + 602 + 603 });
    expect(outputs["report"]).toEqual({ summary: "loaded 2406 rows" });
  });

  it("holds its properties: report runs only once extract and load succeeded", () => {
    checkPipeline(etl, {
      input: { table: "orders" },
      properties: [
        property("report waits for its shared dependency", (run) => {
          const report = run.trace.findIndex((e) => e.type === "submitted" && e.step === "report");
          if (report < 0) return true;
          const ok = (step: string) =>
            run.trace
              .slice(0, report)
              .some((e) => e.type === "finished" && e.step === step && e.state === "succeeded");
          return ok("extract") && ok("load");
        }),
      ],
    });
  });
});

describe("examples/approval.ts", () => {
  it("waits for the approval signal, then deploys", async () => {
    const sup = await boot([approval]);
    const run = await sup.startRun("release");
    // Refused while building: the machine does not take `approve` yet.
    await expect(sup.signal(run.id, { type: "approve", by: "ana" })).rejects.toThrow(
      /does not accept/,
    );
    for (let i = 0; (await sup.getRun(run.id)).steps?.[0]?.state !== "succeeded"; i++) {
      if (i > 2000) throw new Error("build never finished");
      await new Promise((r) => setImmediate(r));
    }
    await sup.signal(run.id, { type: "approve", by: "ana" });
    const done = await sup.waitForRun(run.id);
    expect(done.state).toBe("succeeded");
    expect(done.output).toEqual({ approvedBy: "ana", reason: null });
  });

  it("holds its properties: deploys only after an approval, rejection fails the run", () => {
    checkPipeline(approval, {
      signals: [
        { type: "approve", by: "ana" },
        { type: "reject", why: "not today" },
      ],
      properties: [
        property("deploy only after approve", (run) => {
          const deploy = run.trace.findIndex((e) => e.type === "submitted" && e.step === "deploy");
          const approved = run.trace.findIndex(
            (e) => e.type === "signal" && e.accepted && e.event.type === "approve",
          );
          return deploy < 0 || (approved >= 0 && approved < deploy);
        }),
        property("a rejection fails the run", (run) => {
          const rejected = run.trace.some(
            (e) => e.type === "signal" && e.accepted && e.event.type === "reject",
          );
          return !rejected || run.outcome === "failed";
        }),
      ],
    });
  });
});
