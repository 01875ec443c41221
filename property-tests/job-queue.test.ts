/**
 * The scheduler's queue (src/scheduler/job-queue.ts) against a model of what it promises, on
 * random sequences of pushes, removals and passes: a pass shows every queued job once, the
 * highest priority first and the oldest first among equals, skips the rest of a group it was
 * told to block, and removes what it placed; `get`, `size` and each queue's depth follow.
 * The jobs are both kinds a queue holds: plain objects (wrapped in an entry) and jobs that are
 * their own entry (queue-entry.ts, as the supervisor's are), and a job object is pushed again
 * after it left, which must give it a new place without bringing its old one back; `holds`
 * says of each object ever pushed whether it is the one queued now.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobQueue, type QueuedJob } from "../src/scheduler/job-queue.ts";
import { ownEntryJob, job as plainJob } from "../test/fixtures/scheduler.ts";

const ids = ["a", "b", "c", "d"] as const;
const groups = ["g1", "g2"] as const;

const op = fc.oneof(
  fc.record({
    kind: fc.constant("push" as const),
    id: fc.constantFrom(...ids),
    group: fc.constantFrom(...groups),
    priority: fc.constantFrom(0, 5),
    queue: fc.constantFrom("q1", "q2"),
    ownEntry: fc.boolean(),
    // Push the object this id was last pushed as (it may have left the queue since).
    again: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("remove" as const), id: fc.constantFrom(...ids) }),
  fc.record({
    kind: fc.constant("pass" as const),
    // Per id: what the pass answers when shown the job.
    verdicts: fc.dictionary(
      fc.constantFrom(...ids),
      fc.constantFrom("placed" as const, "skip" as const, "block" as const),
    ),
  }),
);

interface Queued {
  readonly job: QueuedJob;
  readonly group: string;
  readonly seq: number;
}

describe("job queue", () => {
  it("passes show queued jobs by priority then age, once each, whatever kind of entry", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 80 }), (ops) => {
        const queue = new JobQueue({ agingMs: 0, agingStep: 0 });
        const model = new Map<string, Queued>();
        const last = new Map<string, QueuedJob>();
        const pushedEver = new Set<QueuedJob>();
        let seq = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            const fields = { priority: o.priority, queue: o.queue };
            const fresh = o.ownEntry ? ownEntryJob(o.id, fields) : plainJob(o.id, fields);
            const job = o.again ? (last.get(o.id) ?? fresh) : fresh;
            last.set(o.id, job);
            pushedEver.add(job);
            const pushed = queue.push(job, `${o.group}/${job.priority}`);
            expect(pushed).toBe(!model.has(o.id));
            if (pushed) model.set(o.id, { job, group: `${o.group}/${job.priority}`, seq: seq++ });
          } else if (o.kind === "remove") {
            expect(queue.remove(o.id)).toBe(model.get(o.id)?.job);
            model.delete(o.id);
          } else {
            const order = [...model.entries()].sort(
              ([, x], [, y]) => y.job.priority - x.job.priority || x.seq - y.seq,
            );
            const expected: string[] = [];
            const blocked = new Set<string>();
            for (const [id, q] of order) {
              if (blocked.has(q.group)) continue;
              expected.push(id);
              const verdict = o.verdicts[id] ?? "skip";
              if (verdict === "placed") model.delete(id);
              else if (verdict === "block") blocked.add(q.group);
            }
            const shown: string[] = [];
            queue.pass(0, (j) => {
              shown.push(j.jobId);
              return o.verdicts[j.jobId] ?? "skip";
            });
            expect(shown).toEqual(expected);
          }
          expect(queue.size).toBe(model.size);
          for (const id of ids) expect(queue.get(id)).toBe(model.get(id)?.job);
          // Every object ever pushed, queued now or not (again, or as another object).
          for (const job of pushedEver)
            expect(queue.holds(job)).toBe(model.get(job.jobId)?.job === job);
          for (const name of ["q1", "q2"]) {
            const depth = [...model.values()].filter((q) => q.job.queue === name).length;
            expect(queue.depth(name)).toBe(depth);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
