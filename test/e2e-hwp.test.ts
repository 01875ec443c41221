/**
 * The whole loop, end to end: the real supervisor (LMDB store, core, HWP server) and real
 * agent processes on 127.0.0.1 running real commands. The heartbeat timeout is shortened to
 * 1.5 s so that a killed agent is noticed quickly.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import {
  isAlive,
  E2eResources,
  makeE2e,
  startAgent,
  submit,
  type Supervised,
} from "./fixtures/e2e-harness.ts";

const started = new E2eResources();
afterEach(started.teardown);

const setup = async () => {
  const e2e = makeE2e();
  started.cleanups.push(e2e.cleanup);
  const s = await e2e.start();
  started.supervisors.push(s);
  return { e2e, s };
};

const agent = (url: string, token?: string) => {
  const a = startAgent(url, token);
  started.agents.push(a);
  return a;
};

const logsOf = (s: Supervised, jobId: string) =>
  Effect.runPromise(s.running.core.store.logs.read(jobId)).then((p) =>
    p.chunks.filter((c) => c.stream !== "system").map((c) => c.data),
  );

const job = (s: Supervised, id: string) => Effect.runPromise(s.running.core.store.jobs.get(id));

describe("end to end: supervisor and agent processes", () => {
  it("runs a shell job that prints lines and exits 3: failed, exit code 3, every line in order", async () => {
    const { s } = await setup();
    await agent(s.running.grpcAddress).workerId;
    const id = await submit(s, {
      name: "count",
      command: {
        shell:
          "for i in $(seq 1 50); do echo line $i; done; echo last-without-newline | tr -d '\\n'; exit 3",
      },
    });
    await s.watch.when(id, "failed");
    const stored = await job(s, id);
    expect(stored.result?.exitCode).toBe(3);
    const lines = await logsOf(s, id);
    expect(lines).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `line ${i + 1}`),
      "last-without-newline",
    ]);
  });

  it("times a job out and leaves no process behind", async () => {
    const { s } = await setup();
    await agent(s.running.grpcAddress).workerId;
    const pidFile = join(tmpdir(), `hodei-e2e-pid-${process.pid}-${Date.now()}`);
    const id = await submit(s, {
      name: "sleeper",
      command: { shell: `sh -c 'echo $$ > ${pidFile}; exec sleep 60' & wait` },
      timeoutMs: 1_000,
    });
    await s.watch.when(id, "timed_out");
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it("cancels a running job on its agent", async () => {
    const { s } = await setup();
    await agent(s.running.grpcAddress).workerId;
    const id = await submit(s, { name: "long", command: { argv: ["sleep", "60"] } });
    await s.watch.when(id, "running");
    await Effect.runPromise(s.running.core.cancel(id));
    await s.watch.when(id, "cancelled");
    expect(s.watch.states(id)).toEqual([
      "queued",
      "scheduled",
      "running",
      "cancelling",
      "cancelled",
    ]);
  });

  it("places a job again on another agent when its agent is killed mid-job", async () => {
    const { s } = await setup();
    const first = agent(s.running.grpcAddress);
    await first.workerId;
    // Long on its first attempt, quick on the next: the marker tells them apart.
    const marker = join(tmpdir(), `hodei-e2e-marker-${process.pid}-${Date.now()}`);
    const id = await submit(s, {
      name: "survivor",
      command: { shell: `test -f ${marker} && exit 0; touch ${marker}; exec sleep 30` },
      retry: { maxAttempts: 2, initialDelayMs: 0 },
    });
    const started = await s.watch.when(id, "running");
    expect(started.workerId).toBe(await first.workerId);
    const second = agent(s.running.grpcAddress);
    await second.workerId;
    first.process.kill("SIGKILL");
    await s.watch.when(id, "succeeded");
    const stored = await job(s, id);
    expect(stored.attempt).toBe(2);
    expect(stored.transitions.at(-2)).toMatchObject({ state: "running" });
    expect(s.watch.states(id).filter((x) => x === "running")).toHaveLength(2);
  });

  it("reconciles after a supervisor restart while agents run jobs: nothing lost or doubled", async () => {
    const e2e = makeE2e();
    started.cleanups.push(e2e.cleanup);
    let s = await e2e.start();
    started.supervisors.push(s);
    await agent(s.running.grpcAddress).workerId;
    // Two jobs: the agent runs both at once (it takes as many as the machine has cores, ≥ 2).
    const ids: string[] = [];
    for (let i = 0; i < 2; i++)
      ids.push(await submit(s, { name: `r${i}`, command: { argv: ["sleep", "3"] } }));
    for (const id of ids) await s.watch.when(id, "running");
    await s.stop();
    s = await e2e.start();
    started.supervisors.push(s);
    // The agent kept running them, reconnects, and reports to the new supervisor.
    for (const id of ids) await s.watch.when(id, "succeeded", 20_000);
    for (const id of ids) {
      const stored = await job(s, id);
      expect(stored.state).toBe("succeeded");
      expect(stored.attempt).toBe(1);
      expect(stored.transitions.filter((t) => t.state === "running")).toHaveLength(1);
    }
  });

  it("refuses an agent with a wrong token: it exits, and no worker is registered", async () => {
    const { s } = await setup();
    const bad = agent(s.running.grpcAddress, "not-the-token");
    expect(await bad.exited).toBe(1);
    expect(await Effect.runPromise(s.running.core.store.workers.list())).toEqual([]);
  });
});
