/**
 * Command jobs end to end over real gRPC on 127.0.0.1: a real HWP server in front of a fake
 * core, a real agent, real child processes. Covers output (every line, in order, numbered
 * 1..n, the last one without a newline too), exit codes, timeouts and cancels (SIGTERM, then
 * SIGKILL after the grace) leaving no process behind, and heartbeats arriving on time while a
 * job floods its output.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assign,
  groupAlive,
  startAgent,
  startHwp,
  type Agent,
  type Hwp,
} from "./fixtures/hwp-harness.ts";

let hwp: Hwp;
let agent: Agent;

beforeEach(async () => {
  hwp = await startHwp();
  agent = await startAgent(hwp.server, { concurrency: 4 });
});

afterEach(async () => {
  await agent.worker.stop();
  await hwp.server.close();
});

const pidFrom = async (jobId: string): Promise<number> => {
  const line = await hwp.inbound.waitFor(
    () => hwp.inbound.linesOf(jobId).find((l) => l.line.startsWith("pid=")),
    "the job's pid line",
  );
  return Number(line.line.slice(4));
};

describe("command jobs", () => {
  it("reports exit code 3 as failed, with every line delivered in order and numbered 1..n", async () => {
    const script =
      'for i in $(seq 1 500); do echo "out $i"; echo "err $i" >&2; done; printf tail; exit 3';
    const jobId = assign(hwp.server, agent.workerId, { command: { shell: script } });

    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "failed", exitCode: 3, error: "exited with code 3" });
    expect(hwp.inbound.starts.map((s) => s.jobId)).toEqual([jobId]);

    const lines = hwp.inbound.linesOf(jobId);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 1001 }, (_, i) => i + 1));
    const out = lines.filter((l) => l.stream === "stdout").map((l) => l.line);
    const err = lines.filter((l) => l.stream === "stderr").map((l) => l.line);
    expect(out).toEqual([...Array.from({ length: 500 }, (_, i) => `out ${i + 1}`), "tail"]);
    expect(err).toEqual(Array.from({ length: 500 }, (_, i) => `err ${i + 1}`));
  });

  it("runs argv commands with the job's env and cwd over a minimal base env", async () => {
    const jobId = assign(hwp.server, agent.workerId, {
      command: {
        argv: [
          "/bin/sh",
          "-c",
          'echo "$GREETING $PWD $HODEI_JOB_ATTEMPT ${HODEI_WORKER_TOKEN:-none}"',
        ],
        env: { GREETING: "hello" },
        cwd: "/tmp",
      },
    });
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "succeeded", exitCode: 0 });
    expect(hwp.inbound.linesOf(jobId).map((l) => l.line)).toEqual(["hello /tmp 1 none"]);
  });

  it("fails a command that cannot start, naming why", async () => {
    const jobId = assign(hwp.server, agent.workerId, { command: { argv: ["/no/such/program"] } });
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toMatchObject({ kind: "failed", error: expect.stringContaining("ENOENT") });
  });

  it("times out: SIGTERM to the group, reported timed_out, no process left", async () => {
    const jobId = assign(hwp.server, agent.workerId, {
      command: { shell: 'echo "pid=$$"; sleep 30 & sleep 30; wait' },
      timeoutMs: 300,
    });
    const pgid = await pidFrom(jobId);
    expect(groupAlive(pgid)).toBe(true);
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "timed_out" });
    expect(groupAlive(pgid)).toBe(false);
  });

  it("cancels mid-run with SIGTERM, which the job honours", async () => {
    const jobId = assign(hwp.server, agent.workerId, {
      command: {
        shell: `trap 'echo got TERM; exit 0' TERM; echo "pid=$$"; while :; do sleep 0.05; done`,
      },
    });
    const pgid = await pidFrom(jobId);
    hwp.server.gateway.cancel(agent.workerId, { jobId, attempt: 1, graceMs: 5000 });
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "cancelled" });
    expect(hwp.inbound.linesOf(jobId).map((l) => l.line)).toContain("got TERM");
    expect(groupAlive(pgid)).toBe(false);
  });

  it("kills a job that ignores SIGTERM with SIGKILL after the grace", async () => {
    const jobId = assign(hwp.server, agent.workerId, {
      command: {
        shell: `trap 'echo ignoring TERM' TERM; echo "pid=$$"; while :; do sleep 0.05; done`,
      },
    });
    const pgid = await pidFrom(jobId);
    const cancelledAt = Date.now();
    hwp.server.gateway.cancel(agent.workerId, { jobId, attempt: 1, graceMs: 300 });
    const outcome = await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result");
    expect(outcome).toEqual({ kind: "cancelled" });
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(300);
    expect(hwp.inbound.linesOf(jobId).map((l) => l.line)).toContain("ignoring TERM");
    expect(groupAlive(pgid)).toBe(false);
  });

  it("keeps heartbeating on time while a job floods its output", async () => {
    const jobId = assign(hwp.server, agent.workerId, {
      command: { shell: "seq 1 300000; sleep 0.3; seq 1 100000" },
    });
    await hwp.inbound.waitFor(() => hwp.inbound.linesOf(jobId).length > 0, "first lines");
    const from = Date.now();
    await hwp.inbound.waitFor(() => hwp.inbound.resultOf(jobId), "the result", 20_000);
    const until = Date.now();
    // 400,000 lines, past the default cap of 200,000: the rest is dropped, and said so.
    const lines = hwp.inbound.linesOf(jobId);
    expect(lines).toHaveLength(200_000);
    expect(lines.at(-1)!.line).toMatch(
      /^\[hodei\] output truncated: \d+ more bytes in 200001 lines/,
    );

    const during = hwp.inbound.heartbeats.filter(
      (h) => h.receivedAt >= from && h.receivedAt <= until,
    );
    const times = [from, ...during.map((h) => h.receivedAt), until];
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Interval 100 ms, timeout 2 s: a gap near the timeout would get the worker declared lost.
    expect(Math.max(...gaps)).toBeLessThan(1000);
    expect(during.at(-1)?.telemetry.runningJobs).toBeGreaterThanOrEqual(0);
  });
});
