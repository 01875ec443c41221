/**
 * The agent as a process (what `hodei worker` runs): SIGTERM drains it — the running job
 * finishes and is reported, a new assignment is rejected, the worker leaves — and the process
 * exits 0 on its own.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkerEvent } from "../src/agent/index.ts";
import { assign, startHwp, token, type Hwp } from "./fixtures/hwp-harness.ts";

const agentMain = fileURLToPath(new URL("./fixtures/agent-process.ts", import.meta.url));
let hwp: Hwp | undefined;
let dir: string | undefined;

afterEach(async () => {
  await hwp?.server.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("agent process", () => {
  it("drains on SIGTERM: finishes its job, rejects new work, leaves and exits 0", async () => {
    hwp = await startHwp();
    const h = hwp;
    const proc = spawn(process.execPath, ["--import", "tsx", agentMain], {
      env: { ...process.env, HODEI_URL: h.server.address, HODEI_WORKER_TOKEN: token },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) =>
      proc.once("exit", (code) => resolve(code)),
    );
    const events: WorkerEvent[] = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: proc.stdout }).on("line", (line) => {
      events.push(JSON.parse(line) as WorkerEvent);
      for (const w of waiters.splice(0)) w();
    });
    const seen = (check: (e: WorkerEvent) => boolean) =>
      new Promise<WorkerEvent>((resolve) => {
        const look = () => {
          const hit = events.find(check);
          if (hit) resolve(hit);
          else waiters.push(look);
        };
        look();
      });
    dir = mkdtempSync(join(tmpdir(), "hodei-agent-process-"));
    const release = join(dir, "release");

    try {
      const connected = await seen((e) => e.type === "connected");
      const workerId = connected.type === "connected" ? connected.workerId : "";
      const running = assign(h.server, workerId, {
        command: {
          shell: `echo started; while [ ! -e '${release}' ]; do sleep 0.02; done; echo done`,
        },
      });
      await h.inbound.waitFor(() => h.inbound.linesOf(running).length === 1, "the job to start");

      proc.kill("SIGTERM");
      await seen((e) => e.type === "draining");
      const late = assign(h.server, workerId, { command: { shell: "echo never" } });
      expect(await h.inbound.waitFor(() => h.inbound.resultOf(late), "the rejection")).toEqual({
        kind: "rejected",
        reason: "the agent is draining",
      });
      writeFileSync(release, "");
      expect(await exited).toBe(0);
      expect(h.inbound.resultOf(running)).toEqual({ kind: "succeeded", exitCode: 0 });
      expect(h.inbound.linesOf(running).map((l) => l.line)).toEqual(["started", "done"]);
      expect(h.inbound.lefts).toEqual([workerId]);
    } finally {
      proc.kill("SIGKILL");
    }
  });
});
