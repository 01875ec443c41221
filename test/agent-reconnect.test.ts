/**
 * The agent across supervisor restarts, over real gRPC: it comes back on the same port under
 * the same worker id, reports the jobs it still runs, re-sends unacknowledged results and log
 * lines, and finishes its jobs as if nothing happened.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeHwpServer } from "../src/hwp/index.ts";
import { makeFakeInbound } from "./fixtures/fake-inbound.ts";
import {
  assign,
  startAgent,
  startHwp,
  token,
  type Agent,
  type Hwp,
} from "./fixtures/hwp-harness.ts";

let hwp: Hwp;
let agent: Agent;
let dir: string | undefined;

afterEach(async () => {
  await agent?.worker.stop();
  await hwp?.server.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The same supervisor address, a fresh server and core: what a restart looks like to agents. */
const restart = async (): Promise<void> => {
  const address = hwp.server.address;
  await hwp.server.close();
  const inbound = makeFakeInbound();
  const server = await makeHwpServer({ address, inbound, auth: { token }, shutdownGraceMs: 1000 });
  hwp = { inbound, server };
};

describe("reconnecting", () => {
  it("re-registers under the same id, reports its running job, and delivers its result and every line", async () => {
    dir = mkdtempSync(join(tmpdir(), "hodei-reconnect-"));
    const go = join(dir, "go");
    hwp = await startHwp();
    agent = await startAgent(hwp.server);
    const script = `echo before; while [ ! -f '${go}' ]; do sleep 0.02; done; echo after; exit 0`;
    const jobId = assign(hwp.server, agent.workerId, { command: { shell: script } });
    await hwp.inbound.waitFor(() => hwp.inbound.linesOf(jobId).length === 1, "the first line");

    const before = hwp.inbound;
    await restart();
    const again = await hwp.inbound.waitFor(() => hwp.inbound.registrations[0], "re-registration");
    expect(again.workerId).toBe(agent.workerId);
    expect(again.running).toEqual([{ jobId, attempt: 1 }]);
    await agent.rec.waitFor(
      "connected",
      () => agent.rec.events.filter((e) => e.type === "connected").length === 2,
    );

    writeFileSync(go, "");
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "succeeded", exitCode: 0 });
    // At least once: a line whose LogAck the restart swallowed comes again, with its seq, so
    // the store keeps one copy of each line and no gap.
    const after = hwp.inbound.linesOf(jobId);
    expect(after.at(-1)).toMatchObject({ seq: 2, line: "after" });
    const bySeq = new Map([...before.linesOf(jobId), ...after].map((l) => [l.seq, l.line]));
    expect([...bySeq]).toEqual([
      [1, "before"],
      [2, "after"],
    ]);
  });

  it("re-sends a result that was not acknowledged before the restart, and the lines before it", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server);
    hwp.inbound.gate = () => new Promise<void>(() => {}); // the old core never commits
    const jobId = assign(hwp.server, agent.workerId, {
      command: { shell: "echo one; echo two; exit 4" },
    });
    await hwp.inbound.waitFor(
      () => hwp.inbound.resultCalls === 1,
      "the result to reach the old core",
    );
    expect(hwp.inbound.linesOf(jobId)).toHaveLength(2);
    expect(agent.worker.jobs()).toEqual([{ jobId, attempt: 1 }]);

    await restart();
    const again = await hwp.inbound.waitFor(() => hwp.inbound.registrations[0], "re-registration");
    expect(again.running).toEqual([{ jobId, attempt: 1 }]);
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "failed", exitCode: 4, error: "exited with code 4" });
    await agent.rec.waitFor("result-acked", (e) => e.jobId === jobId);
    expect(agent.worker.jobs()).toEqual([]);
  });
});
