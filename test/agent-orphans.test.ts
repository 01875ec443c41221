/**
 * A command job dies with its agent: SIGKILL a real agent process (nothing of it runs after
 * that, no handler, no cleanup) while its job sleeps, with a child of its own in its process
 * group, and the whole group goes (src/agent/group-watchdog.ts). Killed processes linger
 * until init reaps them, which can take a second or two here, hence a generous bounded poll.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkerEvent } from "../src/agent/index.ts";
import { assign, groupAlive, startHwp, token, until, type Hwp } from "./fixtures/hwp-harness.ts";

const agentMain = fileURLToPath(new URL("./fixtures/agent-process.ts", import.meta.url));
let hwp: Hwp | undefined;
const leftovers: number[] = [];

afterEach(async () => {
  // Only if the test failed: do not leave its sleepers behind.
  for (const pgid of leftovers.splice(0)) if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  await hwp?.server.close();
});

describe("agent killed with SIGKILL", () => {
  it("takes its command job's whole process group with it", async () => {
    hwp = await startHwp();
    const h = hwp;
    const proc = spawn(process.execPath, ["--import", "tsx", agentMain], {
      env: { ...process.env, HODEI_URL: h.server.address, HODEI_WORKER_TOKEN: token },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      proc.once("exit", (_code, signal) => resolve(signal)),
    );
    try {
      const workerId = await new Promise<string>((resolve) =>
        createInterface({ input: proc.stdout }).on("line", (line) => {
          const e = JSON.parse(line) as WorkerEvent;
          if (e.type === "connected") resolve(e.workerId);
        }),
      );
      const jobId = assign(h.server, workerId, {
        command: { shell: "sleep 300 & echo $$ $!; wait" },
      });
      const [line] = await h.inbound.waitFor(() => {
        const lines = h.inbound.linesOf(jobId);
        return lines.length > 0 ? lines : undefined;
      }, "the job's first line");
      const [pgid, sleeper] = line!.line.split(" ").map(Number);
      leftovers.push(pgid!);
      expect(groupAlive(pgid!)).toBe(true);
      expect(() => process.kill(sleeper!, 0)).not.toThrow();

      proc.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      await until(() => !groupAlive(pgid!), "the job's process group to be gone", 20_000);
      expect(() => process.kill(sleeper!, 0)).toThrow();
    } finally {
      proc.kill("SIGKILL");
    }
  }, 40_000);
});
