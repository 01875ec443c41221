/**
 * Schema pieces shared by the decoders of agent messages (registration.ts, agent-messages.ts,
 * outcome.ts, log-batch.ts): how the wire spells attempts, int64s and job references, and the
 * one-issue refusal for a message whose shape is wrong before any field can be checked.
 */
import { Either, Schema } from "effect";
import { invalidInput } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import { JobId } from "../domain/ids.ts";
import { boundedInt, expected } from "../domain/primitives.ts";
import { maxAttemptNumber } from "../domain/retry.ts";

/** Attempts count from 1 on the wire: 0 means "never placed", which no agent can report. */
export const Attempt = boundedInt(
  1,
  maxAttemptNumber,
  `an attempt number from 1 to ${maxAttemptNumber}`,
);

/** int64 fields arrive as decimal strings (`longs: String`). */
export const int64 = (inner: Schema.Schema<number>, what: string) =>
  Schema.compose(Schema.NumberFromString, inner).annotations(expected(what));

export const JobRefWire = Schema.Struct({ jobId: JobId, attempt: Attempt });

export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u);

/** A refusal naming one path, for shapes the schemas never get to see. */
export const refuse = (path: string, message: string): Either.Either<never, InvalidInput> =>
  Either.left(invalidInput([{ path, message }]));
