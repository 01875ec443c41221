/**
 * Named queues end to end, through the real binary against `hodei serve --local-workers 2`
 * (a process, LMDB in a temp dir, two real agents over gRPC): a paused queue keeps its jobs
 * queued and says why; resumed, they all run, in order; a concurrency limit of 1 holds across
 * both workers (no two of the queue's jobs ever run at once); `queues list|get|set` show and
 * change the settings, bad flags are usage errors that change nothing, and `jobs --queue`
 * lists a queue's jobs.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobDetail, WorkerSummary } from "../src/api/schemas.ts";
import type { QueueView } from "../src/supervisor/queues.ts";
import { hodei, serve, stopAll, tempDir, until } from "./fixtures/cli-harness.ts";

let api = "";

beforeAll(async () => {
  api = (await serve(join(tempDir("hodei-cli-queues-"), "data"), "--local-workers", "2")).api;
}, 60_000);
afterAll(stopAll);

const json = <A>(r: { stdout: string; stderr: string; status: number | null }) => {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as A;
};
const job = (id: string) => json<JobDetail>(hodei(api, "jobs", "get", id, "--json"));
const queue = (name: string) => json<QueueView>(hodei(api, "queues", "get", name, "--json"));
const submitted = (...args: string[]) =>
  json<{ id: string }>(hodei(api, "submit", ...args, "--json")).id;
const at = (j: JobDetail, state: string) => j.transitions.find((t) => t.state === state)?.at;

describe("named queues, as an operator runs them", { timeout: 120_000 }, () => {
  it("pause keeps jobs queued; resume runs them all in order, one at a time on two workers", async () => {
    await until(() => {
      const all = json<{ workers: WorkerSummary[] }>(hodei(api, "workers", "--json")).workers;
      return all.filter((w) => w.healthy).length === 2 ? true : undefined;
    }, "both local agents");
    expect(hodei(api, "queues", "set", "serial", "--concurrency", "1").status).toBe(0);
    expect(hodei(api, "queues", "pause", "serial").stdout).toBe("paused queue serial\n");

    const ids = [1, 2, 3, 4].map((i) =>
      submitted("--command", "sleep 0.3", "--name", `serial-${i}`, "--queue", "serial"),
    );
    const other = submitted("--command", "true", "--name", "elsewhere");
    await until(() => (job(other).state === "succeeded" ? true : undefined), "the other job");
    for (const id of ids) {
      const j = job(id);
      expect(j.state).toBe("queued");
      expect(j.spec.queue).toBe("serial");
    }
    expect(job(ids[0]!).waiting?.reason).toBe("queue `serial` is paused");
    expect(hodei(api, "jobs", "get", ids[0]!).stdout).toMatch(/^\s+queue\s+serial$/m);
    expect(hodei(api, "jobs", "--queue", "serial").stdout).toMatch(
      /^ID\s+STATE\s+ATTEMPT\s+NAME\s+QUEUE\s/,
    );
    expect(queue("serial")).toMatchObject({ paused: true, queued: 4, running: 0, concurrency: 1 });
    const listed = json<{ jobs: JobDetail[] }>(
      hodei(api, "jobs", "--queue", "serial", "--json"),
    ).jobs;
    expect(listed.map((j) => j.id)).toEqual([...ids].reverse());
    const table = hodei(api, "queues").stdout;
    expect(table).toMatch(/^NAME\s+STATE\s+QUEUED\s+RUNNING\s+RATE-LIMITED\s+CONCURRENCY/);
    expect(table).toMatch(/^serial\s+paused\s+4\s+0\s+0\s+1\s+-$/m);

    expect(hodei(api, "queues", "resume", "serial").stdout).toBe("resumed queue serial\n");
    const done = await until(() => {
      const all = ids.map(job);
      return all.every((j) => j.state === "succeeded") ? all : undefined;
    }, "the queue's jobs to run");
    // In order, and never two at once, whichever worker each ran on.
    for (let i = 1; i < done.length; i++) {
      expect(at(done[i]!, "scheduled")!).toBeGreaterThanOrEqual(at(done[i - 1]!, "succeeded")!);
    }
    expect(queue("serial")).toMatchObject({ paused: false, queued: 0, running: 0 });
  });

  it("sets and clears limits; refuses bad flags and names without changing anything", () => {
    const set = json<QueueView>(
      hodei(api, "queues", "set", "api", "--rate-limit", "5/1000", "--concurrency", "3", "--json"),
    );
    expect(set).toMatchObject({ name: "api", concurrency: 3, rateLimit: { max: 5, perMs: 1000 } });
    for (const bad of [
      ["queues", "set", "api", "--concurrency", "0"],
      ["queues", "set", "api", "--rate-limit", "fast"],
      ["queues", "set", "api"],
    ]) {
      const r = hodei(api, ...bad);
      expect(r.status, bad.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^(error|hodei): /);
    }
    const badName = hodei(api, "queues", "pause", "no good");
    expect(badName.status).toBe(2);
    expect(badName.stderr).toMatch(/queue name/);
    expect(queue("api")).toMatchObject({ paused: false, concurrency: 3 });
    const cleared = json<QueueView>(
      hodei(api, "queues", "set", "api", "--rate-limit", "none", "--json"),
    );
    expect(cleared).toMatchObject({ concurrency: 3, rateLimit: null });
    const refused = hodei(api, "submit", "--command", "true", "--queue", "a b");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--queue/);
  });
});
