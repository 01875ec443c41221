/**
 * Decoding a JobResult's outcome oneof into the core's `Outcome`.
 *
 * The proto-loader object is reshaped first: the `outcome` discriminator selects the schema,
 * and proto3 `optional` bookkeeping (`_exitCode`) is dropped, so the strict decoder (excess
 * properties are errors) sees only real fields. A handler's output travels as JSON text and is
 * parsed and bounded here; an exit code is 0–255 (128 + n for a signal, as shells report it).
 */
import { Either, ParseResult, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import { findJsonProblem, type JsonValue } from "../domain/json.ts";
import { boundedInt, boundedString, Limits } from "../domain/primitives.ts";
import type { Outcome } from "../supervisor/gateway.ts";
import { isRecord, JobRefWire, refuse } from "./wire-schemas.ts";

const Text = boundedString(0, Limits.messageLength);
const ExitCode = Schema.optionalWith(boundedInt(0, 255, "an exit code from 0 to 255"), {
  exact: true,
});

/** A handler's output: JSON text, or empty for none. */
const OutputJson = Schema.transformOrFail(Schema.String, Schema.Unknown, {
  strict: true,
  decode: (s, _, ast) => {
    if (s === "") return ParseResult.succeed(undefined);
    try {
      const value: unknown = JSON.parse(s);
      const problem = findJsonProblem(value);
      return problem === undefined
        ? ParseResult.succeed(value as JsonValue)
        : ParseResult.fail(new ParseResult.Type(ast, s, problem.message));
    } catch {
      return ParseResult.fail(new ParseResult.Type(ast, s, "Expected JSON text"));
    }
  },
  encode: (u) => ParseResult.succeed(u === undefined ? "" : JSON.stringify(u)),
});

const outcomeSchemas = {
  succeeded: Schema.Struct({ exitCode: ExitCode, outputJson: OutputJson }),
  failed: Schema.Struct({ exitCode: ExitCode, error: Text }),
  timedOut: Schema.Struct({}),
  cancelled: Schema.Struct({}),
  rejected: Schema.Struct({ reason: Text }),
} as const;
type OutcomeKey = keyof typeof outcomeSchemas;

const toOutcome = (key: OutcomeKey, v: Record<string, unknown>): Outcome => {
  const exit = typeof v["exitCode"] === "number" ? { exitCode: v["exitCode"] } : {};
  switch (key) {
    case "succeeded":
      return {
        kind: "succeeded",
        ...exit,
        ...(v["outputJson"] === undefined ? {} : { output: v["outputJson"] }),
      };
    case "failed":
      return { kind: "failed", ...exit, error: String(v["error"]) };
    case "timedOut":
      return { kind: "timed_out" };
    case "cancelled":
      return { kind: "cancelled" };
    case "rejected":
      return { kind: "rejected", reason: String(v["reason"]) };
  }
};

type ResultDecoder = (
  u: unknown,
) => Either.Either<{ readonly jobResult: Record<string, unknown> }, InvalidInput>;

/** One decoder per outcome, each under `jobResult` so that issue paths start there. */
const decoders = Object.fromEntries(
  Object.entries(outcomeSchemas).map(([key, schema]) => [
    key,
    decodeWith(
      Schema.Struct({ jobResult: Schema.Struct({ ...JobRefWire.fields, [key]: schema }) }),
    ),
  ]),
) as unknown as Record<OutcomeKey, ResultDecoder>;

/** Drops proto3 `optional` bookkeeping keys (`_exitCode`). */
const withoutSynthetic = (u: unknown): unknown =>
  isRecord(u) ? Object.fromEntries(Object.entries(u).filter(([k]) => !k.startsWith("_"))) : u;

export interface DecodedResult {
  readonly jobId: string;
  readonly attempt: number;
  readonly outcome: Outcome;
}

/** `jobResult` of an AgentMessage. */
export const decodeJobResult = (r: unknown): Either.Either<DecodedResult, InvalidInput> => {
  if (!isRecord(r)) return refuse("jobResult", "Expected a JobResult");
  const key = r["outcome"];
  if (typeof key !== "string" || !(key in outcomeSchemas)) {
    return refuse(
      "jobResult.outcome",
      "is missing: one of succeeded, failed, timedOut, cancelled, rejected",
    );
  }
  const k = key as OutcomeKey;
  const shaped = { jobId: r["jobId"], attempt: r["attempt"], [k]: withoutSynthetic(r[k]) };
  return Either.map(decoders[k]({ jobResult: shaped }), ({ jobResult }) => ({
    jobId: jobResult["jobId"] as string,
    attempt: jobResult["attempt"] as number,
    outcome: toOutcome(k, jobResult[k] as Record<string, unknown>),
  }));
};
