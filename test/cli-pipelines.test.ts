/**
 * Pipelines from the command line.
 * - The progress display as pure functions: a run to lines, and two polls to the changes.
 * - End to end, as a user runs it: `hodei serve --local-workers 1 --pipelines <module>` as a
 *   process (LMDB in a temp dir, ephemeral ports) with test/fixtures/pipelines/two-step.ts, then
 *   `hodei run` to success and to a failure (the failed step's log tail), `signal` (a waiting
 *   run lists the signals it takes), `runs`, and `pipelines apply` of a good and a bad YAML
 *   definition, each with its exit code.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDuration, redraw, renderRun, runChanges } from "../src/cli/progress.ts";
import type { PipelineSummary } from "../src/api/pipeline-schemas.ts";
import type { PipelineRun, RunStep } from "../src/persistence/pipelines.ts";

const step = (name: string, state: RunStep["state"], more: Partial<RunStep> = {}): RunStep =>
  ({ name, state, ...more }) as RunStep;
const base = { id: "r1", pipeline: "ci", version: "v", createdAt: 1000, updatedAt: 1000, jobs: {} };
const run = (state: PipelineRun["state"], steps: RunStep[], more: Partial<PipelineRun> = {}) =>
  ({ ...base, state, steps, ...more }) as PipelineRun;

describe("the progress display", () => {
  const midway = run("running", [
    step("build", "succeeded", { startedAt: 1000, finishedAt: 2200 }),
    step("test", "running", { startedAt: 2200 }),
    step("deploy", "waiting", { needs: ["test"] }),
  ]);

  it("draws a header and one line per step: mark, name, state, duration", () => {
    expect(renderRun(midway, 5000)).toEqual([
      "run r1  ci  running  4.0s",
      "  ✓ build   succeeded  1.2s",
      "  ▸ test    running    2.8s",
      "  · deploy  waiting",
    ]);
    const failed = run(
      "failed",
      [
        step("build", "failed", {
          startedAt: 1000,
          finishedAt: 1500,
          error: "exited with\ncode 3",
        }),
      ],
      { updatedAt: 1600, reason: 'the pipeline ended in its "failed" state' },
    );
    expect(renderRun(failed, 99_999)).toEqual([
      "run r1  ci  failed  600ms",
      "  ✗ build  failed     500ms  exited with code 3",
      '  reason: the pipeline ended in its "failed" state',
    ]);
  });

  it("prints only what changed between two polls, and the end", () => {
    expect(runChanges(undefined, midway, 5000)).toEqual([
      "run r1 of ci started",
      "build succeeded in 1.2s",
      "test running",
    ]);
    expect(runChanges(midway, midway, 6000)).toEqual([]);
    const done = run(
      "succeeded",
      [
        step("build", "succeeded", { startedAt: 1000, finishedAt: 2200 }),
        step("test", "succeeded", { startedAt: 2200, finishedAt: 4200 }),
        step("deploy", "skipped", { needs: ["test"] }),
      ],
      { updatedAt: 4300 },
    );
    expect(runChanges(midway, done, 9000)).toEqual([
      "test succeeded in 2.0s",
      "deploy skipped",
      "run r1 succeeded in 3.3s",
    ]);
  });

  it("formats durations and redraws in place, cutting lines to the terminal", () => {
    const durations = [850, 4_250, 42_000, 187_000, 3_900_000].map(formatDuration);
    expect(durations.join(" ")).toBe("850ms 4.2s 42s 3m07s 1h05m");
    expect(redraw(["abc", "defghij"], 0, 5)).toBe("abc\ndefg…\n");
    expect(redraw(["x"], 2, 80)).toBe("\x1b[2F\x1b[0Jx\n");
  });
});

const bin = "bin/hodei.mjs";
const fixture = "test/fixtures/pipelines/two-step.ts";
let server: ChildProcess | undefined;
let dir = "";
let api = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hodei-cli-pipelines-"));
  const ports = ["--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"];
  const args = ["serve", "--local-workers", "1", ...ports, "--data-dir", join(dir, "data")];
  server = spawn(process.execPath, [bin, ...args, "--pipelines", fixture], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HODEI_LOG_LEVEL: "warn" },
    detached: true,
  });
  server.stderr!.resume();
  api = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server!.stdout! }).on("line", (l) => {
      const m = /API\s+(http:\/\/\S+)\/api\/v1/.exec(l);
      if (m) resolve(m[1]!);
    });
    server!.once("exit", (code) => reject(new Error(`hodei serve exited with ${code}`)));
  });
}, 60_000);

afterAll(() => {
  // The whole process group: the supervisor and the local agent it started.
  if (server?.exitCode === null) process.kill(-server.pid!, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the `hodei` command as a user would (not a TTY: progress as lines); waits for it. */
const hodei = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, "--api", api], {
    encoding: "utf8",
    timeout: 60_000,
    // Where the supervisor wrote its admin token: the CLI finds it there, as on the same machine.
    env: { ...process.env, HODEI_DATA_DIR: join(dir, "data") },
  });

const json = <A>(r: { stdout: string }) => JSON.parse(r.stdout) as A;

describe("pipelines from the command line", { timeout: 120_000 }, () => {
  it("runs a 2-step pipeline to success (exit 0), showing both steps", () => {
    const ok = hodei("run", "two-step");
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^run \S+ of two-step started$/m);
    expect(ok.stdout).toMatch(/^build succeeded in \S+$/m);
    expect(ok.stdout).toMatch(/^test succeeded in \S+$/m);
    expect(ok.stdout).toMatch(/^run \S+ succeeded in \S+$/m);
    // --json: one JSON object per line as the run goes, the final run last.
    const lines = hodei("run", "two-step", "--json")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; run: PipelineRun });
    expect(lines[0]!.event).toBe("run");
    expect(lines.at(-1)!.event).toBe("end");
    const final = lines.at(-1)!.run;
    expect(final.state).toBe("succeeded");
    expect(final.steps?.map((s) => [s.name, s.state])).toEqual([
      ["build", "succeeded"],
      ["test", "succeeded"],
    ]);
  });

  it("runs one whose second step fails: exit 1, its error and the tail of its log", () => {
    const bad = hodei("run", "fails-second");
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^build succeeded/m);
    expect(bad.stdout).toMatch(/^test failed in \S+: exited with code 3$/m);
    expect(bad.stderr).toMatch(/step test failed: exited with code 3/);
    const tail = bad.stderr.split("\n").filter((l) => l.startsWith("line "));
    expect(tail).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 6}`));
    const runs = json<{ runs: PipelineRun[] }>(
      hodei("runs", "list", "--pipeline", "fails-second", "--json"),
    );
    expect(runs.runs.map((r) => r.state)).toEqual(["failed"]);
    expect(hodei("runs", "list", "--state", "failed").stdout).toMatch(/failed\s+fails-second/);
  });

  it("signals a waiting run, and refuses a signal or a cancel it cannot take now", async () => {
    const started = json<PipelineRun>(hodei("run", "approval", "--detach", "--json"));
    expect(started.state).toBe("running");
    // Waiting, the run lists the signals it takes now.
    expect(hodei("runs", "get", started.id).stdout).toMatch(
      new RegExp(`signals: approve, reject \\(hodei signal ${started.id} <signal>\\)`),
    );
    expect(json<PipelineRun>(hodei("runs", "get", started.id, "--json")).signals).toEqual([
      "approve",
      "reject",
    ]);
    const refused = hodei("signal", started.id, "bogus");
    expect(refused.status).toBe(5);
    expect(refused.stderr).toMatch(/does not accept the signal "bogus"/);
    expect(hodei("signal", started.id, "approve", "--data", "[1]").status).toBe(2);
    expect(hodei("signal", started.id, "approve", "--data", '{"by":"ana"}').status).toBe(0);
    let state = "running";
    for (const deadline = Date.now() + 30_000; state === "running" && Date.now() < deadline;) {
      const token = readFileSync(join(dir, "data", "api-token"), "utf8").trim();
      const headers = { authorization: `Bearer ${token}` };
      state = (
        (await (await fetch(`${api}/api/v1/runs/${started.id}`, { headers })).json()) as PipelineRun
      ).state;
    }
    expect(state).toBe("succeeded");
    expect(hodei("runs", "get", started.id).stdout).toMatch(/✓ deploy\s+succeeded/);
    const late = hodei("runs", "cancel", started.id);
    expect(late.status).toBe(5);
    expect(late.stderr).toMatch(/already succeeded/);
  });

  it("applies a YAML definition and runs it; a bad one prints its issues and exits 2", () => {
    const good = join(dir, "decl.yaml");
    const job = (name: string) => `{ name: ${name}, command: { shell: 'echo ${name}' } }`;
    const steps = [
      `- { name: a, job: ${job("a")} }`,
      `- { name: b, needs: [a], job: ${job("b")} }`,
    ];
    writeFileSync(good, `name: decl\nsteps:\n${steps.map((l) => `  ${l}\n`).join("")}`);
    expect(hodei("pipelines", "apply", good).stdout).toMatch(/^applied decl\s+declarative/);
    const list = json<{ pipelines: PipelineSummary[] }>(hodei("pipelines", "--json")).pipelines;
    const sources = list.map((p) => `${p.name}:${p.source}`).sort();
    expect(sources.join(" ")).toBe(
      "approval:code decl:declarative fails-second:code two-step:code",
    );
    const ran = hodei("run", "decl");
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^b succeeded/m);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, `name: decl\nsteps:\n  - { name: a, needs: [zz], job: ${job("a")} }\n`);
    const refused = hodei("pipelines", "apply", bad);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/pipeline refused/);
    expect(refused.stderr).toMatch(/steps\.0\.needs\.0: step "a" needs "zz"/);
    expect(hodei("pipelines", "apply", join(dir, "missing.yaml")).status).toBe(2);
  });
});
