/**
 * Decoding an assignment's spec on the agent, remembering the last few distinct texts.
 *
 * The agent does not take its supervisor's spec on trust (a bad one is rejected, not run), but
 * decoding a JobSpec with its schema costs about 60 µs, which at thousands of short jobs a
 * second is most of the agent's time. Real workloads send the same few specs over and over (a
 * queue of identical tasks), so the decoded spec is cached by its exact JSON text: the same
 * text always decodes to the same immutable value.
 */
import { Either } from "effect";
import { decodeJobSpec } from "../domain/decode.ts";
import type { JobSpec } from "../domain/job-spec.ts";

export class SpecDecoder {
  private readonly cache = new Map<string, JobSpec>();

  constructor(
    private readonly maxEntries = 256,
    /** Texts longer than this are decoded every time: caching them would cost memory. */
    private readonly maxTextLength = 16 * 1024,
  ) {}

  /** The spec, or why it cannot be run (the text of a `rejected` outcome). */
  decode(specJson: string): Either.Either<JobSpec, string> {
    const cached = this.cache.get(specJson);
    if (cached !== undefined) return Either.right(cached);
    let parsed: unknown;
    try {
      parsed = JSON.parse(specJson);
    } catch {
      return Either.left("the job spec is not JSON");
    }
    const spec = decodeJobSpec(parsed);
    if (Either.isLeft(spec)) return Either.left(`invalid job spec: ${spec.left.message}`);
    if (specJson.length <= this.maxTextLength) {
      if (this.cache.size >= this.maxEntries) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
      this.cache.set(specJson, spec.right);
    }
    return Either.right(spec.right);
  }
}
