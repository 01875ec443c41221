/**
 * The specs of the jobs a supervisor holds (not final), and what a queued job's virtual actor
 * keeps (src/runtime/virtual.ts).
 *
 * A queued job's virtual actor keeps its spec, and the supervisor keeps it nowhere else: the
 * job kind's virtual store is `waiting`, read here, written only by the runtime. Its input is
 * made again from the spec, its id, and its creation time, which a new job's id already holds
 * (a ULID made at that millisecond). So a queued job costs one map slot here, not two: its spec
 * alone, or a `Packed` with its creation time when the id does not give it (a job recovered
 * from an older store), or its whole input when that is not the one the spec gives (a job run
 * again keeps its attempts and history: `resume`). When the job goes live (its first message)
 * its spec moves to `live`, where a job placed at once, or one recovered with a snapshot, has
 * it from the start.
 */
import type { JobInput } from "../../actors/job.ts";
import { ulidTime } from "../domain/ids.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import type { VirtualCodec } from "../runtime/virtual.ts";

/** A virtual job's spec with what its id does not give: its creation time, or its input. */
class Packed {
  constructor(
    readonly spec: JobSpec | undefined,
    readonly input: number | JobInput,
  ) {}
}

const specIn = (kept: JobSpec | Packed | undefined): JobSpec | undefined =>
  kept instanceof Packed ? kept.spec : kept;

export class JobSpecs {
  private readonly live = new Map<string, JobSpec>();
  /** The job kind's virtual store (see the header). */
  private readonly waiting = new Map<string, JobSpec | Packed>();
  /**
   * The job being spawned with the input its spec gives (`spawning`), until `pack` takes it
   * or `spawned` makes it live: its spec goes to one map, not through `live` on its way.
   */
  private next: { readonly id: string; readonly spec: JobSpec } | undefined;

  get(jobId: string): JobSpec | undefined {
    const next = this.next;
    if (next !== undefined && next.id === jobId) return next.spec;
    return this.live.get(jobId) ?? specIn(this.waiting.get(jobId));
  }

  has(jobId: string): boolean {
    return this.get(jobId) !== undefined;
  }

  /** Keeps the spec of a job live or about to be spawned (then `pack` moves it to `waiting`). */
  set(jobId: string, spec: JobSpec): void {
    this.live.set(jobId, spec);
  }

  /**
   * The job about to be spawned, with the input `inputOf` gives for its spec: `pack` keeps
   * the spec without making that input again to compare. `spawned` must follow the spawn.
   */
  spawning(jobId: string, spec: JobSpec): void {
    this.next = { id: jobId, spec };
  }

  /** The spawn is over: a spec `pack` did not take (the actor is live: a timer) is live. */
  spawned(): void {
    const next = this.next;
    if (next === undefined) return;
    this.next = undefined;
    this.live.set(next.id, next.spec);
  }

  /** A job that ended: it was live (it had a message), so its spec is in `live`. */
  delete(jobId: string): void {
    this.live.delete(jobId);
  }

  /** Jobs held: live ones and queued ones. */
  get size(): number {
    return this.live.size + this.waiting.size;
  }

  /** The job kind's codec; `inputOf` makes a job's input from its spec. */
  codec(inputOf: (jobId: string, spec: JobSpec, createdAt: number) => JobInput): VirtualCodec {
    return {
      store: this.waiting as Map<string, unknown>,
      idOf: (input) => (input as JobInput).jobId,
      pack: (id, given) => {
        const input = given as JobInput;
        const next = this.next;
        if (next !== undefined && next.id === id) {
          this.next = undefined;
          return input.at === ulidTime(id) ? next.spec : new Packed(next.spec, input.at);
        }
        const spec = this.live.get(id);
        if (spec === undefined) return new Packed(undefined, input);
        this.live.delete(id);
        if (!sameInput(input, inputOf(id, spec, input.at))) return new Packed(spec, input);
        return input.at === ulidTime(id) ? spec : new Packed(spec, input.at);
      },
      unpack: (id, kept) => {
        if (!(kept instanceof Packed)) return inputOf(id, kept as JobSpec, ulidTime(id));
        if (typeof kept.input !== "number") return kept.input;
        return kept.spec === undefined ? undefined : inputOf(id, kept.spec, kept.input);
      },
      taken: (id, kept) => {
        const spec = specIn(kept as JobSpec | Packed);
        if (spec !== undefined) this.live.set(id, spec);
      },
    };
  }
}

/** Whether two inputs have the same fields with the same values (a spec's parts are shared). */
const sameInput = (a: JobInput, b: JobInput): boolean => {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const k of keys) if (x[k] !== y[k]) return false;
  return true;
};
