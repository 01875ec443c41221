/**
 * Log reads stream from the store: 8 clients reading one 16 MiB log at once, each in pages
 * of up to 10,000 chunks (the whole log in one response), get it complete and correct, and
 * the supervisor's memory (the RSS of a real `hodei serve` process) grows by far less than the
 * log times the readers. Before, each reader cost a whole decoded and encoded page: 8 readers
 * of this log took the supervisor past 1 GB.
 */
import { readFileSync, rmSync } from "node:fs";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { openLmdbStore } from "../src/persistence/lmdb/store.ts";
import { tempDir } from "./fixtures/persistence-adapters.ts";
import { makeJob } from "./fixtures/persistence-records.ts";
import { apiFetch, serveProcess } from "./fixtures/serve-process.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lines = 1000;
const lineBytes = 16 * 1024;
/** Line i: its number, then filler, 16 KiB in all. */
const lineOf = (i: number) => String(i).padEnd(lineBytes, ".");

const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

/** Reads the whole log page by page, as `hodei logs` does; checks every line. */
const readAll = async (api: string, jobId: string): Promise<number> => {
  let fromSeq = 1;
  let n = 0;
  for (;;) {
    const r = await apiFetch(`${api}/api/v1/jobs/${jobId}/logs?fromSeq=${fromSeq}&limit=10000`);
    expect(r.status).toBe(200);
    const page = (await r.json()) as {
      chunks: Array<{ seq: number; data: string }>;
      nextSeq: number;
    };
    if (page.chunks.length === 0) return n;
    for (const c of page.chunks) {
      expect(c.seq).toBe(n + 1);
      expect(c.data).toBe(lineOf(n));
      n++;
    }
    fromSeq = page.nextSeq;
  }
};

describe("reading logs", () => {
  it(
    "streams a 16 MiB log to 8 readers at once without memory growing with it",
    { timeout: 120_000 },
    async () => {
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const job = makeJob();
      const store = await Effect.runPromise(openLmdbStore({ path: dir }));
      await Effect.runPromise(store.jobs.create(job));
      for (let i = 0; i < lines; i += 100) {
        const inputs = Array.from({ length: 100 }, (_, k) => ({
          at: 1,
          stream: "stdout" as const,
          attempt: 1,
          data: lineOf(i + k),
        }));
        await Effect.runPromise(store.logs.append(job.id, inputs));
      }
      await Effect.runPromise(store.close);

      const server = serveProcess(["--data-dir", dir]);
      cleanups.push(() => server.kill());
      const { api } = await server.started;
      // Warm: the first read loads what a read needs; the baseline is taken after it.
      expect(await readAll(api, job.id)).toBe(lines);
      const baseline = rssOf(server.pid);
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid))), 10);
      try {
        const counts = await Promise.all(Array.from({ length: 8 }, () => readAll(api, job.id)));
        expect(counts).toEqual(Array(8).fill(lines));
      } finally {
        clearInterval(sampler);
      }
      const growth = peak - baseline;
      // 8 readers × 16 MiB is 128 MiB of log text alone; streamed, a reader costs a slice.
      expect(growth).toBeLessThan(96 * 1024 * 1024);
    },
  );
});
