/**
 * The README's quick start, as a user runs it: `hodei serve --local-workers 2` as a process
 * (LMDB in a temp dir, ephemeral ports), then the `hodei` client commands against it; and a
 * SIGTERM while a job runs loses nothing.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

const bin = "bin/hodei.mjs";
let servers: ChildProcess[] = [];
let dirs: string[] = [];

afterEach(async () => {
  // The whole process group: the supervisor and the local agents it started.
  for (const s of servers) if (s.exitCode === null) process.kill(-s.pid!, "SIGKILL");
  servers = [];
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const serve = async (dir: string): Promise<{ server: ChildProcess; api: string }> => {
  const server = spawn(
    process.execPath,
    [
      bin,
      "serve",
      "--local-workers",
      "2",
      "--http",
      "127.0.0.1:0",
      "--grpc",
      "127.0.0.1:0",
      "--data-dir",
      dir,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HODEI_LOG_LEVEL: "warn" },
      detached: true,
    },
  );
  servers.push(server);
  server.stderr!.resume();
  const api = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: server.stdout! });
    lines.on("line", (l) => {
      const m = /API\s+(http:\/\/\S+)\/api\/v1/.exec(l);
      if (m) resolve(m[1]!);
    });
    server.once("exit", (code) => reject(new Error(`hodei serve exited with ${code}`)));
  });
  return { server, api };
};

/**
 * Runs the `hodei` command as a user would; waits for it. `HODEI_DATA_DIR` names the
 * supervisor's data directory, where the CLI finds the admin token the first start wrote.
 */
const hodeiIn =
  (dir: string) =>
  (api: string, ...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args, "--api", api], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, HODEI_DATA_DIR: dir },
    });

const authorization = (dir: string) => ({
  authorization: `Bearer ${readFileSync(join(dir, "api-token"), "utf8").trim()}`,
});

const exitOf = (p: ChildProcess) =>
  p.exitCode !== null
    ? Promise.resolve(p.exitCode)
    : new Promise<number | null>((r) => p.once("exit", r));

describe("the quick start, as a user runs it", () => {
  it(
    "serves, runs `submit --command 'echo hi' -f` (prints hi, exits 0) and a failing job (exits 1)",
    { timeout: 90_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "hodei-cli-"));
      dirs.push(dir);
      const { api } = await serve(dir);
      const hodei = hodeiIn(dir);
      const ok = hodei(api, "submit", "--command", "echo hi", "-f");
      expect(ok.stdout).toBe("hi\n");
      expect(ok.status).toBe(0);
      const bad = hodei(api, "submit", "--command", "echo nope >&2; exit 4", "-f");
      expect(bad.stderr).toContain("nope");
      expect(bad.stderr).toMatch(/ended failed/);
      expect(bad.status).toBe(1);
      const list = hodei(api, "jobs", "list", "--json");
      const jobs = (JSON.parse(list.stdout) as { jobs: Array<{ state: string }> }).jobs;
      expect(jobs.map((j) => j.state).sort()).toEqual(["failed", "succeeded"]);
      // Two local agents, named, sharing the machine: each offers half its CPU.
      const workers = hodei(api, "workers");
      expect(workers.stdout).toMatch(/^local-1\s+local-1\s+idle/m);
      expect(workers.stdout).toMatch(/^local-2\s+local-2\s+idle/m);
      const listed = JSON.parse(hodei(api, "workers", "--json").stdout) as {
        workers: Array<{ capacity: { cpuMillis: number } }>;
      };
      const cpu = listed.workers.reduce((n, w) => n + w.capacity.cpuMillis, 0);
      expect(cpu).toBe(Math.max(1, cpus().length) * 1000);
      expect(hodei(api, "submit").status).toBe(2);
    },
  );

  it("loses nothing when it gets SIGTERM while a job runs", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "hodei-cli-"));
    dirs.push(dir);
    const first = await serve(dir);
    const hodei = hodeiIn(dir);
    const submitted = hodei(first.api, "submit", "--command", "sleep 3; echo done", "--json");
    const id = (JSON.parse(submitted.stdout) as { id: string }).id;
    // Wait until it runs (asking the API directly: quicker than a command per poll), then stop
    // the supervisor: the local agents finish the job first.
    let state = "";
    for (const deadline = Date.now() + 30_000; state !== "running" && Date.now() < deadline;) {
      const response = await fetch(`${first.api}/api/v1/jobs/${id}`, {
        headers: authorization(dir),
      }).catch(() => undefined);
      if (response?.ok) state = ((await response.json()) as { state: string }).state;
    }
    expect(state).toBe("running");
    first.server.kill("SIGTERM");
    expect(await exitOf(first.server)).toBe(0);
    const second = await serve(dir);
    const after = JSON.parse(hodei(second.api, "jobs", "get", id, "--json").stdout) as {
      state: string;
      attempt: number;
    };
    expect(after, JSON.stringify(after)).toMatchObject({ state: "succeeded", attempt: 1 });
    expect(hodei(second.api, "logs", id).stdout).toBe("done\n");
  });
});
