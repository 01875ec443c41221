/**
 * The agent's life with its supervisor, over real gRPC: refused at the door (wrong token),
 * registering with its machine's capacity, dropping an attempt the supervisor calls stale, and
 * draining (its own decision or the supervisor's): running jobs finish, new ones are rejected,
 * the worker leaves.
 */
import { cpus } from "node:os";
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { AgentRefused, createWorker } from "../src/agent/index.ts";
import { InvalidInput } from "../src/domain/errors.ts";
import {
  assign,
  groupAlive,
  until,
  startAgent,
  startHwp,
  type Agent,
  type Hwp,
} from "./fixtures/hwp-harness.ts";

let hwp: Hwp;
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.worker.stop();
  agent = undefined;
  await hwp?.server.close();
});

describe("agent lifecycle", () => {
  it("gives up with UNAUTHENTICATED on a wrong token, registering nothing", async () => {
    hwp = await startHwp();
    const worker = createWorker({
      url: hwp.server.address,
      token: "wrong",
      reconnect: { initialMs: 10 },
    });
    const error = await worker.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AgentRefused);
    expect((error as AgentRefused).code).toBe(status.UNAUTHENTICATED);
    expect(hwp.inbound.registrations).toEqual([]);
  });

  it("refuses options it cannot use, naming them", () => {
    const attempt = () => createWorker({ url: "nowhere", token: "t", labels: { "bad key!": "x" } });
    expect(attempt).toThrow(InvalidInput);
    try {
      attempt();
    } catch (e) {
      expect((e as InvalidInput).issues.map((i) => i.path)).toEqual(["url", "labels.bad key!"]);
    }
  });

  it("registers the machine's capacity by default and heartbeats with its telemetry", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server, { labels: { zone: "eu-1" } });
    const r = hwp.inbound.registrations[0]!;
    expect(r.capacity).toMatchObject({
      cpuMillis: cpus().length * 1000,
      gpus: 0,
      maxJobs: cpus().length,
    });
    expect(r.capacity.memoryMb).toBeGreaterThan(0);
    expect(r.labels).toEqual({ zone: "eu-1" });
    const hb = await hwp.inbound.waitFor(() => hwp.inbound.heartbeats.at(1), "two heartbeats");
    expect(hb.workerId).toBe(agent.workerId);
    expect(hb.telemetry.memoryTotalMb).toBeGreaterThan(0);
    expect(hb.telemetry.diskFreeMb).toBeGreaterThan(0);
    expect(hb.telemetry.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it("stops and forgets an attempt the supervisor calls stale", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server);
    const a = agent;

    // Stale by the time it finishes: the result is refused and forgotten.
    const finished = assign(hwp.server, a.workerId, { command: { shell: "echo bye; exit 1" } });
    hwp.inbound.stale.add(`${finished}/1`);
    const dropped = await a.rec.waitFor("job-dropped", (e) => e.jobId === finished);
    expect(dropped.code).toBe(status.FAILED_PRECONDITION);

    // Stale while it runs (its next log batch is refused): it is stopped, nothing is reported.
    const running = assign(hwp.server, a.workerId, {
      command: { shell: 'echo "pid=$$"; while :; do echo tick; sleep 0.05; done' },
    });
    const pid = await hwp.inbound.waitFor(
      () => hwp.inbound.linesOf(running).find((l) => l.line.startsWith("pid=")),
      "the pid",
    );
    hwp.inbound.stale.add(`${running}/1`);
    const refused = await a.rec.waitFor("job-dropped", (e) => e.jobId === running);
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    await until(() => a.worker.jobs().length === 0, "the agent to forget both attempts");
    expect(groupAlive(Number(pid.line.slice(4)))).toBe(false);
    expect(hwp.inbound.results).toEqual([]);
  });

  it("drains: the running job finishes, new work is rejected, then the worker leaves", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server);
    const a = agent;
    let finish!: () => void;
    const running = assign(hwp.server, a.workerId, { command: { shell: "echo working" } });
    void running;
    const gate = new Promise<void>((r) => (finish = r));
    hwp.inbound.gate = () => gate;
    await hwp.inbound.waitFor(() => hwp.inbound.resultCalls === 1, "the result");

    const drained = a.worker.drain();
    await a.rec.waitFor("draining");
    const late = assign(hwp.server, a.workerId, { command: { shell: "echo never" } });
    await hwp.inbound.waitFor(() => hwp.inbound.resultCalls === 2, "the rejection");
    expect(hwp.inbound.lefts).toEqual([]); // a result is still unacknowledged
    finish();
    await drained;
    await a.worker.done;
    expect(hwp.inbound.resultOf(late)).toEqual({
      kind: "rejected",
      reason: "the agent is draining",
    });
    expect(hwp.inbound.starts.map((s) => s.jobId)).toEqual([running]);
    expect(hwp.inbound.lefts).toEqual([a.workerId]);
    expect(hwp.server.sessionCount()).toBe(0);
  });

  it("drains when the supervisor asks", async () => {
    hwp = await startHwp();
    agent = await startAgent(hwp.server);
    const jobId = assign(hwp.server, agent.workerId, { command: { shell: "echo hi" } });
    expect(hwp.server.gateway.drain(agent.workerId)).toBe(true);
    await agent.worker.done;
    expect(hwp.inbound.resultOf(jobId)).toMatchObject({ kind: "succeeded" });
    expect(hwp.inbound.lefts).toEqual([agent.workerId]);
  });
});
