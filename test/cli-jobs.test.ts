/**
 * The job and worker commands through the real binary, against `hodei serve --local-workers 2`
 * (a process, LMDB in a temp dir): `--version`, the exit codes, `jobs` newest first with its
 * paging hint, `jobs get` in full (each attempt with its worker and exit code), `submit -f`
 * marking a new attempt (and as JSON lines), `logs --json`, a spec file's problems all at once,
 * flag errors in flag terms, and why a job waits — at once when it never can run, after 2 s
 * when it waits for room — in `submit -f`, `jobs get` and `hodei run`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobDetail, WorkerSummary } from "../src/api/schemas.ts";
import {
  hodei,
  hodeiRaw,
  hodeiStarted,
  serve,
  stopAll,
  tempDir,
  until,
} from "./fixtures/cli-harness.ts";

let api = "";
let dir = "";

beforeAll(async () => {
  dir = tempDir("hodei-cli-jobs-");
  api = (await serve(join(dir, "data"), "--local-workers", "2")).api;
}, 60_000);
afterAll(stopAll);

const json = <A>(r: { stdout: string }) => JSON.parse(r.stdout) as A;
const lines = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);
const job = (id: string) => json<JobDetail>(hodei(api, "jobs", "get", id, "--json"));
const submitted = (...args: string[]) =>
  json<{ id: string }>(hodei(api, "submit", ...args, "--json")).id;
const ended = (id: string) =>
  until(() => {
    const j = job(id);
    return ["succeeded", "failed", "cancelled", "timed_out"].includes(j.state) ? j : undefined;
  }, `job ${id} to end`);

describe("the job commands, as a user runs them", { timeout: 120_000 }, () => {
  it("prints its version, and its exit codes in --help", () => {
    const version = hodeiRaw("--version");
    expect([version.status, version.stdout.trim()]).toEqual([0, "0.1.0"]);
    const help = hodeiRaw("--help");
    expect(help.stdout).toMatch(/Exit codes:\n\s+0\s+success/);
    expect(help.stdout).toMatch(/^\s+4\s+cannot reach the supervisor/m);
  });

  it("exits by outcome: 3 not found, 4 unreachable, 5 refused, 2 usage", async () => {
    const missing = hodei(api, "jobs", "get", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect([missing.status, missing.stderr]).toEqual([3, expect.stringMatching(/not found/)]);
    const away = hodei("http://127.0.0.1:9", "jobs");
    expect([away.status, away.stderr]).toEqual([4, expect.stringMatching(/cannot reach/)]);
    const done = await ended(submitted("--command", "true"));
    const late = hodei(api, "jobs", "cancel", done.id);
    expect([late.status, late.stderr]).toEqual([5, expect.stringMatching(/already ended/)]);
    expect(hodei(api, "submit").status).toBe(2);
    expect(hodei(api, "jobs", "--state", "sideways").stderr).toMatch(/^hodei: --state: /);
  });

  it("lists jobs newest first, a page at a time, with a hint when there is more", async () => {
    const ids = [1, 2, 3].map((i) => submitted("--command", `echo ${i}`, "--name", `page-${i}`));
    for (const id of ids) await ended(id);
    const first = hodei(api, "jobs", "--limit", "2");
    const rows = first.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^ID\s+STATE\s+ATTEMPT\s+NAME\s+QUEUE\s+WORKER\s+CREATED$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual([ids[2], ids[1]]);
    const hint = /^more: hodei jobs --limit 2 --cursor (\S+)$/m.exec(first.stderr);
    expect(hint, first.stderr).not.toBeNull();
    const next = hodei(api, "jobs", "--limit", "2", "--cursor", hint![1]!);
    expect(next.stdout.split("\n")[1]!.split(/\s+/)[0]).toBe(ids[0]);
    const page = json<{ jobs: JobDetail[]; next: string | null }>(
      hodei(api, "jobs", "--state", "succeeded", "--limit", "3", "--json"),
    );
    expect(page.jobs.map((j) => j.id)).toEqual([...ids].reverse());
    expect(page.next).not.toBeNull();
  });

  it("follows a job to a second attempt, marking it; jobs get shows each attempt", async () => {
    const mark = join(dir, "tried-once");
    const script = `test -f ${mark} && echo second || { touch ${mark}; echo first; exit 3; }`;
    const run = hodei(api, "submit", "--command", script, "--retries", "1", "-f");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe("first\nsecond\n");
    expect(run.stderr).toMatch(/^--- attempt 2 on local-[12] ---$/m);
    const id = /submitted job (\S+)/.exec(run.stderr)![1]!;
    const detail = hodei(api, "jobs", "get", id).stdout;
    expect(detail).toMatch(new RegExp(`^job ${id}\\s+job\\s+succeeded$`, "m"));
    expect(detail).toMatch(/^\s+shell\s+test -f /m);
    expect(detail).toMatch(/^\s+policy\s+priority 500, timeout none, retries up to 2 attempts$/m);
    expect(detail).toMatch(/^\s+#1\s+local-[12]\s+.*ran \S+\s+failed, retried \(exit 3\)$/m);
    expect(detail).toMatch(/^\s+#2\s+local-[12]\s+.*ran \S+\s+succeeded \(exit 0\)$/m);
    const attempts = job(id).transitions.filter((t) => t.state === "scheduled");
    expect(attempts.map((t) => t.workerId)).toEqual([
      expect.stringMatching(/^local-/),
      expect.stringMatching(/^local-/),
    ]);
  });

  it("speaks JSON lines when following, and for logs", async () => {
    const out = hodei(api, "submit", "--command", "echo a; echo b >&2; exit 4", "-f", "--json");
    expect(out.status).toBe(1);
    const events = lines(out.stdout);
    expect(events.map((e) => e.event)).toEqual(["submitted", "attempt", "log", "log", "end"]);
    expect(events[1]).toMatchObject({ attempt: 1, workerId: expect.stringMatching(/^local-/) });
    expect(events.slice(2, 4).map((e) => [e.stream, e.data])).toEqual([
      ["stdout", "a"],
      ["stderr", "b"],
    ]);
    expect(events[4]!.job).toMatchObject({ state: "failed", result: { exitCode: 4 } });
    const logs = lines(hodei(api, "logs", events[0]!.job.id, "--json").stdout);
    expect(logs.map((e) => `${e.event}:${e.data}`)).toEqual(["log:a", "log:b"]);
  });

  it("reports every problem of a spec file at once, and flag errors in flag terms", () => {
    const before = json<{ jobs: unknown[] }>(hodei(api, "jobs", "--limit", "1000", "--json"));
    const file = join(dir, "bad-job.yaml");
    writeFileSync(
      file,
      "name: ''\ncommand: { shell: 'true' }\nretry: { maxAttempts: 0 }\ntimeoutMs: -5\ncomand: x\n",
    );
    const bad = hodei(api, "submit", "--file", file);
    expect(bad.status).toBe(2);
    const problems = bad.stderr.split("\n").filter((l) => l.startsWith(`  ${file}: `));
    expect(problems.map((l) => l.split(": ")[1])).toEqual(
      expect.arrayContaining(["name", "retry.maxAttempts", "timeoutMs", "comand"]),
    );
    expect(bad.stderr).toMatch(/is not valid \(\d+ problems\)/);
    const flags = hodei(api, "submit", "--command", "x", "--retries", "5000", "--cpu", "99999999");
    expect(flags.status).toBe(2);
    expect(flags.stderr).toMatch(/^ {2}--retries: expected from 0 to 999 retries, got 5000$/m);
    expect(flags.stderr).toMatch(/^ {2}--cpu: /m);
    expect(flags.stderr).not.toMatch(/maxAttempts|cpuMillis/);
    const word = hodei(api, "submit", "--command", "x", "--timeout", "soon");
    expect([word.status, word.stderr]).toEqual([
      2,
      expect.stringMatching(/--timeout <ms>' argument 'soon' is invalid. expected a whole number/),
    ]);
    // Nothing was submitted by any of them.
    const after = json<{ jobs: unknown[] }>(hodei(api, "jobs", "--limit", "1000", "--json"));
    expect(after.jobs).toHaveLength(before.jobs.length);
  });

  it("says at once why a job no worker could ever run waits; jobs get says it too", async () => {
    const follow = hodeiStarted(api, "submit", "--handler", "resize", "-f");
    const line = await follow.stderrLine(/waiting:/, 10_000);
    expect(line).toBe(
      "hodei: waiting: no registered worker with handler resize: it cannot run until a worker that can registers",
    );
    follow.process.kill("SIGINT");
    const id = /submitted job (\S+)/.exec(await follow.stderrLine(/submitted job/))![1]!;
    expect(hodei(api, "jobs", "get", id).stdout).toMatch(
      /^\s+waiting: no registered worker with handler resize: it cannot run/m,
    );
    expect(job(id).waiting).toMatchObject({ never: true });
    expect(hodei(api, "jobs", "cancel", id).status).toBe(0);
  });

  it("says why a job waits for room once it has waited 2 s, then runs it", async () => {
    const workers = json<{ workers: WorkerSummary[] }>(hodei(api, "workers", "--json")).workers;
    const cpu = Math.min(...workers.map((w) => w.capacity.cpuMillis));
    // Each worker full with a job that holds all of its CPU; one more must wait for room.
    const fillers = workers.map(() =>
      submitted("--command", "sleep 60", "--cpu", String(cpu), "--name", "filler"),
    );
    await until(
      () => (fillers.every((f) => job(f).state === "running") ? true : undefined),
      "the fillers running",
    );
    const started = Date.now();
    const follow = hodeiStarted(
      api,
      "submit",
      "--command",
      "echo room",
      "--cpu",
      String(cpu),
      "-f",
    );
    const line = await follow.stderrLine(/waiting:/, 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(line).toMatch(
      new RegExp(
        `^hodei: waiting: no healthy worker and ${cpu}m CPU free.* \\(for \\d[\\d.]*s\\)$`,
      ),
    );
    // Room made: it runs.
    for (const f of fillers) expect(hodei(api, "jobs", "cancel", f).status).toBe(0);
    await follow.stdoutLine(/^room$/, 30_000);
    expect(await follow.exit).toBe(0);
  });

  it("hodei run says why a step's job waits", async () => {
    const definition = join(dir, "gpu.json");
    writeFileSync(
      definition,
      JSON.stringify({
        name: "gpu-pipeline",
        steps: [
          {
            name: "train",
            job: { name: "train", command: { shell: "true" }, labels: { gpu: "true" } },
          },
        ],
      }),
    );
    expect(hodei(api, "pipelines", "apply", definition).status).toBe(0);
    const run = hodeiStarted(api, "run", "gpu-pipeline");
    const line = await run.stdoutLine(/waiting:/, 15_000);
    expect(line).toMatch(/^train waiting: no registered worker with label gpu=true: it cannot run/);
    run.process.kill("SIGINT");
    expect(await run.exit).toBe(130);
  });

  it("shows workers by name, and prunes none while they are alive", () => {
    const one = hodei(api, "workers", "get", "local-1");
    expect(one.stdout).toMatch(/^local-1\s+local-1\s+(idle|busy)/m);
    expect(hodei(api, "workers", "prune").stdout.trim()).toBe("nothing to prune");
  });
});
