/**
 * A queued job that is its own queue entry (queue-entry.ts; the supervisor's are): it is
 * placed like any other, and once it left the queue, queueing the same object again gives it a
 * new place without bringing its old one back to life.
 */
import { describe, expect, it } from "vitest";
import { JobQueue } from "../src/scheduler/job-queue.ts";
import type { QueueEntry } from "../src/scheduler/queue-entry.ts";
import { ownEntryJob as ownEntry, job as plainJob } from "./fixtures/scheduler.ts";

const visits = (queue: JobQueue, verdict: "placed" | "skip" = "skip"): string[] => {
  const seen: string[] = [];
  queue.pass(0, (j) => {
    seen.push(j.jobId);
    return verdict;
  });
  return seen;
};

describe("a job that is its own queue entry", () => {
  it("is queued as itself, in arrival order with wrapped jobs", () => {
    const queue = new JobQueue({ agingMs: 0, agingStep: 0 });
    const a = ownEntry("a");
    queue.push(a, "g");
    queue.push(plainJob("b"), "g");
    queue.push(ownEntry("c"), "g");
    expect(queue.get("a")).toBe(a);
    expect((a as unknown as QueueEntry).queueSeq).toBe(0);
    expect(visits(queue)).toEqual(["a", "b", "c"]);
  });

  it("queued again after it left, it is visited once, at its new place", () => {
    const queue = new JobQueue({ agingMs: 0, agingStep: 0 });
    const a = ownEntry("a");
    queue.push(a, "g");
    queue.push(plainJob("b"), "g");
    expect(queue.remove("a")).toBe(a);
    expect((a as unknown as QueueEntry).dead).toBe(true);
    queue.push(a, "g");
    expect(queue.get("a")).toBe(a);
    expect(queue.size).toBe(2);
    expect(visits(queue)).toEqual(["b", "a"]);
    expect(visits(queue, "placed")).toEqual(["b", "a"]);
    expect(queue.size).toBe(0);
    expect(visits(queue)).toEqual([]);
  });

  it("its old place stays dead through a compaction", () => {
    const queue = new JobQueue({ agingMs: 0, agingStep: 0 });
    const jobs = Array.from({ length: 2000 }, (_, i) => ownEntry(`j${i}`));
    for (const j of jobs) queue.push(j, "g");
    for (const j of jobs.slice(0, 1500)) queue.remove(j.jobId);
    queue.push(jobs[0]!, "g");
    visits(queue); // compacts the FIFO: 1,500 of 2,001 places are dead
    const seen = visits(queue);
    expect(seen).toHaveLength(501);
    expect(seen.at(-1)).toBe("j0");
    expect(new Set(seen).size).toBe(501);
  });
});
