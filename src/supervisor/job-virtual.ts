/**
 * What a queued job's virtual actor keeps (src/runtime/virtual.ts): nothing, usually. Its input
 * is made from the job's spec, which the supervisor keeps while the job waits anyway, its id,
 * and its creation time, which a new job's id already holds (a ULID made at that millisecond).
 * So the input is kept as `null`, or as its creation time when the id does not give it (a job
 * recovered from an older store), or whole when it is not the one the spec gives (a job run
 * again keeps its attempts and history: `resume`).
 */
import type { JobInput } from "../../actors/job.ts";
import { ulidTime } from "../domain/ids.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import type { VirtualCodec } from "../runtime/virtual.ts";

export const jobVirtualCodec = (
  specs: ReadonlyMap<string, JobSpec>,
  inputOf: (jobId: string, spec: JobSpec, createdAt: number) => JobInput,
): VirtualCodec => ({
  idOf: (input) => (input as JobInput).jobId,
  pack: (id, given) => {
    const input = given as JobInput;
    const spec = specs.get(id);
    if (spec === undefined) return input;
    const made = inputOf(id, spec, input.at) as unknown as Record<string, unknown>;
    const keys = Object.keys(input);
    if (keys.length !== Object.keys(made).length) return input;
    for (const k of keys)
      if ((input as unknown as Record<string, unknown>)[k] !== made[k]) return input;
    return input.at === ulidTime(id) ? null : input.at;
  },
  unpack: (id, packed) => {
    if (packed !== null && typeof packed === "object") return packed;
    const spec = specs.get(id);
    if (spec === undefined) return undefined;
    return inputOf(id, spec, packed === null ? ulidTime(id) : (packed as number));
  },
});
