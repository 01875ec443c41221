/**
 * Output past the per-attempt log cap is dropped, not slowed: a command printing 40 MB with a
 * 64 KiB cap is never paused (no `output-paused` event: nothing held up the child), ships at
 * most the cap, and its log ends with one marker that counts exactly what was dropped. Below
 * the cap nothing is lost: the last line of a job that exits is delivered. Outputs printed past
 * the cap are still published. Bytes (NUL, invalid UTF-8) reach the supervisor escaped.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logLineBytes } from "../src/domain/log-text.ts";
import { assign, startAgent, startHwp, type Agent, type Hwp } from "./fixtures/hwp-harness.ts";

const cap = 64 * 1024;
let hwp: Hwp;
let agent: Agent;

beforeEach(async () => {
  hwp = await startHwp();
  agent = await startAgent(hwp.server, { logBatch: { capBytes: cap, capLines: 1000 } });
});

afterEach(async () => {
  await agent.worker.stop();
  await hwp.server.close();
});

const run = async (shell: string) => {
  const jobId = assign(hwp.server, agent.workerId, { command: { shell } });
  const outcome = await hwp.inbound.waitFor(
    () => hwp.inbound.resultOf(jobId),
    "the result",
    60_000,
  );
  return { jobId, outcome, lines: hwp.inbound.linesOf(jobId) };
};

describe("the agent's log cap", () => {
  it("drops output past the cap without pausing the job, and says how much at the end", async () => {
    // 40,000,000 bytes in 4,000,000 lines of 10 bytes ("123456789\n").
    const { jobId, outcome, lines } = await run(
      "yes 123456789 | head -n 4000000; echo '::hodei-output last=yes'",
    );
    expect(outcome).toMatchObject({ kind: "succeeded", output: { last: "yes" } });
    const paused = agent.rec.events.filter((e) => e.type === "output-paused" && e.jobId === jobId);
    expect(paused).toEqual([]);

    const marker = lines.at(-1)!;
    const shipped = lines.slice(0, -1);
    const shippedBytes = shipped.reduce((n, l) => n + Buffer.byteLength(l.line), 0);
    expect(shippedBytes).toBeLessThanOrEqual(cap);
    expect(shipped.every((l) => l.line === "123456789")).toBe(true);
    // Bytes as printed, line breaks included.
    const total = { bytes: 40_000_000 + "::hodei-output last=yes\n".length, lines: 4_000_001 };
    expect(marker.stream).toBe("stderr");
    expect(marker.line).toBe(
      `[hodei] output truncated: ${total.bytes - shippedBytes - shipped.length} more bytes in ` +
        `${total.lines - shipped.length} lines were dropped past this attempt's log cap of ` +
        `${cap} bytes or 1000 lines`,
    );
  });

  it("counts lines past a line cap, and loses nothing below the cap", async () => {
    const { lines } = await run("seq 1 999; seq 1000 1500 >&2; printf 'no newline'");
    expect(lines).toHaveLength(1000);
    expect(lines.slice(0, 999).map((l) => l.line)).toEqual(
      Array.from({ length: 999 }, (_, i) => String(i + 1)),
    );
    expect(lines.at(-1)!.line).toContain("more bytes in 502 lines were dropped");

    const below = await run("seq 1 10; printf 'the end'");
    expect(below.lines.map((l) => l.line)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => String(i + 1)),
      "the end",
    ]);
  });

  it("passes any bytes through, escaped: NUL and invalid UTF-8", async () => {
    const { outcome, lines } = await run("printf 'a\\000b\\377c\\n\\\\x41\\n'");
    expect(outcome.kind).toBe("succeeded");
    expect(lines.map((l) => l.line)).toEqual(["a\\x00b\\xffc", "\\x5cx41"]);
    expect(logLineBytes(lines[0]!.line)).toEqual(Buffer.from([0x61, 0, 0x62, 0xff, 0x63]));
  });
});
