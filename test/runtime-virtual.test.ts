/**
 * Virtual actors (src/runtime/virtual.ts) and the job kind's codec (src/supervisor/job-virtual.ts):
 * what a queued job's virtual actor keeps (its spec, which the supervisor keeps nowhere else
 * meanwhile), and that it gives back the very input it was given.
 */
import { describe, expect, it } from "vitest";
import type { JobInput } from "../actors/job.ts";
import { newJobId, ulid, ulidTime } from "../src/domain/ids.ts";
import type { JobSpec } from "../src/domain/job-spec.ts";
import { defaultRetryPolicy } from "../src/domain/retry.ts";
import { VirtualActors, type VirtualCodec } from "../src/runtime/virtual.ts";
import { JobSpecs } from "../src/supervisor/job-virtual.ts";

const retry = defaultRetryPolicy;
const spec = { name: "s", retry, timeoutMs: 5_000 } as unknown as JobSpec;
const inputOf = (jobId: string, s: JobSpec, createdAt: number): JobInput => ({
  jobId,
  retry: s.retry,
  timeoutMs: s.timeoutMs ?? null,
  cancelGraceMs: 10_000,
  lostGraceMs: 60_000,
  runAt: null,
  at: createdAt,
});

const setup = () => {
  const specs = new JobSpecs();
  const packed: unknown[] = [];
  const codec = specs.codec(inputOf);
  const spy: VirtualCodec = {
    ...codec,
    pack: (id, input) => {
      const p = codec.pack(id, input);
      packed.push(p);
      return p;
    },
  };
  return { specs, packed, virtual: new VirtualActors(new Map([["job", spy]])) };
};

describe("ulidTime", () => {
  it("reads back the millisecond an id was made in", () => {
    for (const t of [0, 1, 1_765_000_000_123, 2 ** 48 - 1]) expect(ulidTime(ulid(t + 0))).toBe(t);
    expect(ulidTime("not-an-id")).toBeNaN();
    expect(ulidTime("01JABCDEFGHJKMNPQRSTVWXYZ!")).toBe(ulidTime("01JABCDEFGHJKMNPQRSTVWXYZ0"));
  });
});

describe("virtual actors", () => {
  it("keeps nothing for a new job's input, and gives the same input back", () => {
    const { specs, packed, virtual } = setup();
    // Ids are monotonic in a process: the id's time is its clock reading's, or a later one's.
    const id = newJobId(Date.now());
    const at = ulidTime(id);
    specs.set(id, spec);
    const input = inputOf(id, spec, at);
    virtual.set(`job/${id}`, input);
    // The spec alone, in the virtual store and nowhere else: one map slot for the job.
    expect(packed).toEqual([spec]);
    expect(packed[0]).toBe(spec);
    expect(specs.get(id)).toBe(spec);
    expect(specs.size).toBe(1);
    expect(virtual.has(`job/${id}`)).toBe(true);
    expect(virtual.hasFor(`job/${id}`, input)).toBe(true);
    expect(virtual.hasFor(`job/${newJobId(9)}`, inputOf(newJobId(9), spec, 9))).toBe(false);
    expect(virtual.size).toBe(1);
    expect(virtual.input(`job/${id}`)).toEqual(input);
    expect(virtual.take(`job/${id}`)).toEqual(input);
    expect(virtual.has(`job/${id}`)).toBe(false);
    expect(virtual.take(`job/${id}`)).toBeUndefined();
    expect(virtual.size).toBe(0);
    // Live now: the spec moved to the supervisor's live jobs, and ends with the job.
    expect(specs.get(id)).toBe(spec);
    expect(specs.size).toBe(1);
    specs.delete(id);
    expect(specs.has(id)).toBe(false);
    expect(specs.size).toBe(0);
  });

  it("takes a spawning job's spec straight to the virtual store, or live when it was not", () => {
    const { specs, packed, virtual } = setup();
    const [a, b, c] = [newJobId(Date.now()), newJobId(Date.now()), newJobId(Date.now())];
    // Spawned virtual: `pack` keeps the spec given to `spawning`, without it being live first.
    specs.spawning(a, spec);
    expect(specs.get(a)).toBe(spec); // while the spawn performs its effects
    virtual.set(`job/${a}`, inputOf(a, spec, ulidTime(a)));
    specs.spawned();
    expect(packed).toEqual([spec]);
    expect(specs.size).toBe(1);
    expect(virtual.take(`job/${a}`)).toEqual(inputOf(a, spec, ulidTime(a)));
    specs.delete(a);
    expect(specs.size).toBe(0);
    // Spawned live (its first state has a timer, so no `pack`): its spec is live.
    specs.spawning(b, spec);
    specs.spawned();
    expect(specs.get(b)).toBe(spec);
    expect(virtual.has(`job/${b}`)).toBe(false);
    specs.delete(b);
    expect(specs.has(b)).toBe(false);
    // Another job packed meanwhile takes nothing of the spawning one's.
    specs.spawning(a, spec);
    virtual.set(`job/${c}`, inputOf(c, spec, 7));
    specs.spawned();
    expect(packed.at(-1)).toEqual({ spec: undefined, input: inputOf(c, spec, 7) });
    expect(specs.get(a)).toBe(spec);
    expect(virtual.has(`job/${a}`)).toBe(false);
  });

  it("keeps the creation time when the id does not hold it", () => {
    const { specs, packed, virtual } = setup();
    const id = newJobId(1_000);
    specs.set(id, spec);
    const input = inputOf(id, spec, 2_000);
    virtual.set(`job/${id}`, input);
    expect(packed).toEqual([{ spec, input: 2_000 }]);
    expect(virtual.input(`job/${id}`)).toEqual(input);
    expect(specs.get(id)).toBe(spec);
  });

  it("keeps an input whole when the spec does not give it: a job run again, or no spec", () => {
    const { specs, packed, virtual } = setup();
    const [a, b, c] = [newJobId(5), newJobId(5), newJobId(5)];
    specs.set(a, spec);
    specs.set(b, spec);
    const resumed = { ...inputOf(a, spec, 5), resume: { attempt: 2, history: [] } };
    const otherRetry = { ...inputOf(b, spec, 5), retry: { ...retry } };
    const unknown = inputOf(c, spec, 5);
    virtual.set(`job/${a}`, resumed);
    virtual.set(`job/${b}`, otherRetry);
    virtual.set(`job/${c}`, unknown);
    expect(packed).toEqual([
      { spec, input: resumed },
      { spec, input: otherRetry },
      { spec: undefined, input: unknown },
    ]);
    expect([a, b, c].map((id) => specs.has(id))).toEqual([true, true, false]);
    expect(virtual.take(`job/${a}`)).toBe(resumed);
    expect(virtual.take(`job/${b}`)).toBe(otherRetry);
    expect(virtual.take(`job/${c}`)).toBe(unknown);
    expect([a, b, c].map((id) => specs.get(id))).toEqual([spec, spec, undefined]);
  });

  it("refuses an input that names another actor, and keeps kinds without a codec as given", () => {
    const { specs, virtual } = setup();
    const id = newJobId(9);
    specs.set(id, spec);
    expect(() => virtual.set(`job/${newJobId(9)}`, inputOf(id, spec, 9))).toThrow(/another actor/);
    expect(virtual.size).toBe(0);
    const input = { anything: 1 };
    virtual.set("worker/w1", input);
    expect(virtual.has("worker/w1")).toBe(true);
    expect(virtual.has("worker/w2")).toBe(false);
    expect(virtual.has("pipeline/w1")).toBe(false);
    expect(virtual.hasFor("worker/w1", { other: 2 })).toBe(true);
    expect(virtual.hasFor("worker/w2", input)).toBe(false);
    expect(virtual.take("worker/w1")).toBe(input);
  });
});
