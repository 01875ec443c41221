/**
 * Decoding a LogBatch (StreamLogs): one attempt's lines, numbered without gaps, so the store
 * can keep them in order and skip the ones it already has.
 *
 * Well-formed batches take a fast path: read from the bytes by the server's deserializer
 * (log-batch-bytes.ts), or checked by hand on protobufjs's object (fast-decode.ts); the schema
 * here defines what is valid and words the refusal for everything else.
 */
import { Either, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import { JobId } from "../domain/ids.ts";
import { boundedInt, literals } from "../domain/primitives.ts";
import { Telemetry } from "../domain/worker.ts";
import type { LogLine } from "../supervisor/gateway.ts";
import { fastLogBatch, type DecodedLogBatch } from "./fast-decode.ts";
import { DecodedLogBatchBytes } from "./log-batch-bytes.ts";
import { Attempt, int64, refuse } from "./wire-schemas.ts";

export type { DecodedLogBatch } from "./fast-decode.ts";

const LogEntryWire = Schema.Struct({
  seq: int64(boundedInt(1, Number.MAX_SAFE_INTEGER), "a sequence number from 1"),
  stream: literals("STDOUT", "STDERR"),
  line: Schema.String,
  atMs: int64(Telemetry.fields.at, "epoch milliseconds"),
});

const decodeLogBatchWire = decodeWith(
  Schema.Struct({ jobId: JobId, attempt: Attempt, entries: Schema.Array(LogEntryWire) }),
);

/** The schema path alone: what the fast path must agree with. */
export const logBatchBySchema = (u: unknown): Either.Either<DecodedLogBatch, InvalidInput> =>
  Either.flatMap(decodeLogBatchWire(u), (b) => {
    const lines: LogLine[] = [];
    for (const [i, e] of b.entries.entries()) {
      const prev = lines[i - 1];
      if (prev !== undefined && e.seq !== prev.seq + 1) {
        return refuse(`entries.${i}.seq`, `Expected ${prev.seq + 1}, actual ${e.seq}`);
      }
      lines.push({
        seq: e.seq,
        stream: e.stream === "STDOUT" ? "stdout" : "stderr",
        line: e.line,
        at: e.atMs,
      });
    }
    return Either.right({ jobId: b.jobId, attempt: b.attempt, lines });
  });

export const decodeLogBatch = (u: unknown): Either.Either<DecodedLogBatch, InvalidInput> => {
  if (u instanceof DecodedLogBatchBytes) return Either.right(u.batch);
  const fast = fastLogBatch(u);
  return fast !== undefined ? Either.right(fast) : logBatchBySchema(u);
};
