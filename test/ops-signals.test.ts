/**
 * Stopping Hodei as people do, with real processes:
 * - Ctrl-C in a terminal (SIGINT to the whole process group) on `hodei serve --local-workers`:
 *   the running job finishes and is recorded succeeded, then the supervisor and its agents are
 *   gone. The same for SIGTERM to the supervisor alone.
 * - A second signal stops at once, and still leaves nothing running.
 * - SIGKILL of the supervisor: its local agents notice and stop (nothing orphaned).
 * - An agent sent SIGTERM while its supervisor is down exits within its drain timeout.
 * - `npm start` stopped with SIGTERM (npm forwards it) leaves nothing running.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  eventually,
  exitOf,
  freePort,
  isAlive,
  opsScopePerTest,
  startServe,
  startWorker,
  type Served,
} from "./fixtures/ops-harness.ts";

const scope = opsScopePerTest();

/** The pids of the local agents `hodei serve` started (its children). */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

const serveWithAgent = async (): Promise<{ served: Served; agents: number[] }> => {
  const [http, grpc] = [await freePort(), await freePort()];
  const served = await startServe({
    dir: scope.dir(),
    http,
    grpc,
    args: ["--local-workers", "1", "--heartbeat-interval-ms", "200"],
    group: true,
  }).then(scope.track);
  const agents = await eventually("the local agent connected", async () => {
    const workers = await served.api.workers();
    return workers.some((w) => w.healthy) ? childrenOf(served.proc.pid!) : undefined;
  });
  expect(agents).toHaveLength(1);
  return { served, agents };
};

const runningJob = async (served: Served, shell: string): Promise<string> => {
  const id = await served.api.submit({ name: "slow", command: { shell } });
  await eventually("the job running", async () =>
    (await served.api.job(id)).state === "running" ? true : undefined,
  );
  return id;
};

/** What the store says after the process is gone: a new supervisor on the same directory. */
const stateAfter = async (served: Served, id: string): Promise<string> => {
  const dir = served.proc.spawnargs[served.proc.spawnargs.indexOf("--data-dir") + 1]!;
  const again = await startServe({ dir, http: await freePort(), grpc: await freePort() }).then(
    scope.track,
  );
  return (await again.api.job(id)).state;
};

describe("stopping the supervisor", () => {
  for (const how of ["Ctrl-C to the process group", "SIGTERM to the supervisor"] as const) {
    it(
      `${how}: the running job finishes, then nothing is left running`,
      { timeout: 60_000 },
      async () => {
        const { served, agents } = await serveWithAgent();
        const id = await runningJob(served, "sleep 1; echo done");
        if (how === "SIGTERM to the supervisor") served.proc.kill("SIGTERM");
        else process.kill(-served.proc.pid!, "SIGINT");
        expect(await served.exited).toBe(0);
        expect(agents.filter(isAlive)).toEqual([]);
        expect(await stateAfter(served, id)).toBe("succeeded");
      },
    );
  }

  it(
    "a second signal stops at once, and nothing is left running",
    { timeout: 60_000 },
    async () => {
      const { served, agents } = await serveWithAgent();
      await runningJob(served, "sleep 30");
      served.proc.kill("SIGTERM");
      await eventually("draining", () => (served.output().includes("draining") ? true : undefined));
      // Past the window in which a repeat is the same signal delivered twice.
      await new Promise((r) => setTimeout(r, 1_100));
      const asked = Date.now();
      served.proc.kill("SIGTERM");
      expect(await served.exited).toBe(130);
      expect(Date.now() - asked).toBeLessThan(5_000);
      await eventually("the agents gone", () => (agents.some(isAlive) ? undefined : true));
    },
  );

  it("SIGKILL of the supervisor: its local agents stop too", { timeout: 60_000 }, async () => {
    const { served, agents } = await serveWithAgent();
    served.proc.kill("SIGKILL");
    await served.exited;
    await eventually("the agents gone", () => (agents.some(isAlive) ? undefined : true), 10_000);
  });
});

describe("stopping an agent", () => {
  it(
    "SIGTERM while its supervisor is down: it exits within its drain timeout",
    { timeout: 60_000 },
    async () => {
      const agent = scope.track(startWorker(await freePort(), ["--drain-timeout-ms", "1500"]));
      await eventually("trying to connect", () =>
        agent.output().includes("no supervisor session") ? true : undefined,
      );
      const asked = Date.now();
      agent.proc.kill("SIGTERM");
      const code = await exitOf(agent.proc);
      expect(Date.now() - asked).toBeLessThan(6_000);
      expect(code).toBe(0);
      expect(agent.output()).toMatch(/drain took over 1500 ms/);
    },
  );
});

describe("npm start", () => {
  it(
    "stopped with SIGTERM (npm forwards it), leaves nothing running",
    { timeout: 60_000 },
    async () => {
      const [http, grpc] = [await freePort(), await freePort()];
      const npm = spawn("npm", ["start", "--silent"], {
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
        env: {
          ...process.env,
          HODEI_DATA_DIR: scope.dir(),
          HODEI_HTTP_ADDR: `127.0.0.1:${http}`,
          HODEI_GRPC_ADDR: `127.0.0.1:${grpc}`,
          HODEI_API_TOKEN: "t",
        },
      });
      scope.track({ proc: npm });
      let out = "";
      npm.stdout!.on("data", (b: Buffer) => (out += b.toString()));
      npm.stderr!.on("data", (b: Buffer) => (out += b.toString()));
      await eventually(`ready\n${out}`, async () =>
        (await fetch(`http://127.0.0.1:${http}/ready`).catch(() => undefined))?.status === 200
          ? true
          : undefined,
      );
      const tree = (pid: number): number[] => {
        try {
          return [pid, ...childrenOf(pid).flatMap(tree)];
        } catch {
          return [pid];
        }
      };
      // npm, the supervisor, and its two local agents (started once it is ready).
      const all = await eventually("the local agents started", () => {
        const now = tree(npm.pid!);
        return now.length >= 4 ? now : undefined;
      });
      npm.kill("SIGTERM");
      await exitOf(npm);
      await eventually("every process gone", () => (all.some(isAlive) ? undefined : true), 20_000);
    },
  );
});
