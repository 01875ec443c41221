/**
 * Dead letters end to end, as an operator meets them: `hodei serve` with a local agent (real
 * processes, LMDB), 100 jobs that fail on the agent (a file they need is missing), found with
 * `hodei jobs --state failed --since 1h`, the file put back, and `hodei jobs redrive --since 1h`:
 * every one runs again as the same job (attempt 2, its failure kept in its history) and
 * succeeds.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliToken, hodei, serve, stopAll, tempDir, until } from "./fixtures/cli-harness.ts";

afterAll(stopAll);

interface Job {
  readonly id: string;
  readonly state: string;
  readonly attempt: number;
  readonly transitions: ReadonlyArray<{ state: string; attempt: number }>;
}

describe("end to end: redrive", () => {
  it("redrives 100 failed jobs over a real agent: each the same job, its next attempt", async () => {
    const dir = tempDir("hodei-e2e-redrive-");
    const { api } = await serve(join(dir, "data"), "--local-workers", "1");
    const call = async (path: string, init: RequestInit = {}) => {
      const r = await fetch(`${api}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${cliToken}`, "content-type": "application/json" },
      });
      return (await r.json()) as any;
    };
    const marker = join(dir, "ready");
    const jobs = Array.from({ length: 100 }, (_, i) => ({
      name: `needs-file-${i}`,
      command: { argv: ["test", "-f", marker] },
    }));
    const batch = await call("/jobs/batch", { method: "POST", body: JSON.stringify({ jobs }) });
    const ids = (batch.jobs as Array<{ id: string }>).map((j) => j.id).sort();
    expect(ids).toHaveLength(100);
    const failed = await until(async () => {
      const r = hodei(
        api,
        "jobs",
        "--state",
        "failed",
        "--since",
        "1h",
        "--limit",
        "1000",
        "--json",
      );
      const page = JSON.parse(r.stdout) as { jobs: Job[] };
      return page.jobs.length === 100 ? page.jobs : undefined;
    }, "100 failed jobs");
    expect(failed.map((j) => j.id).sort()).toEqual(ids);

    writeFileSync(marker, "");
    const redrive = hodei(api, "jobs", "redrive", "--since", "1h", "--limit", "1000", "--json");
    expect(redrive.status, redrive.stderr).toBe(0);
    const result = JSON.parse(redrive.stdout) as { redriven: Job[]; refused: unknown[] };
    expect(result.refused).toEqual([]);
    expect(result.redriven.map((j) => j.id).sort()).toEqual(ids);

    const done = await until(async () => {
      const page = (await call("/jobs?state=succeeded&limit=1000")) as { jobs: Job[] };
      return page.jobs.length === 100 ? page.jobs : undefined;
    }, "100 jobs to succeed");
    expect(done.map((j) => j.id).sort()).toEqual(ids);
    for (const j of done) {
      expect(j.attempt).toBe(2);
      const lines = j.transitions.map((t) => `${t.state}:${t.attempt}`);
      expect(lines.slice(0, 1)).toEqual(["queued:0"]);
      expect(lines).toContain("failed:1");
      expect(lines.indexOf("failed:1")).toBeLessThan(lines.indexOf("queued:1"));
      expect(lines.at(-1)).toBe("succeeded:2");
    }
    expect((await call("/jobs?state=failed")).jobs).toEqual([]);
  }, 120_000);
});
