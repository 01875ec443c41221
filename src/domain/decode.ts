/**
 * Decoding untrusted input (HTTP bodies, HWP messages, stored records) into domain values, with
 * errors a person can act on: every issue has the dotted path of the field and the reason,
 * e.g. `{ path: "resources.memoryMb", message: "Expected an integer from 0 to 16777216, actual -1" }`.
 *
 * Always decode through `decodeWith`, not `Schema.decodeUnknown` directly, for two options:
 * - `errors: "all"`: report every problem at once, not one per round trip;
 * - `onExcessProperty: "error"`: a typo such as `comand` is named with its path. With Effect's
 *   default the field would be dropped silently and the job would fail later, far from the typo
 *   (and a label with a malformed key would vanish instead of being refused).
 */
import { Either, ParseResult, Schema } from "effect";
import { InvalidInput, type Issue, type PipelineInvalid } from "./errors.ts";
import { JobSpec, type JobSpecInput } from "./job-spec.ts";
import { fastJobSpec } from "./job-spec-fast.ts";
import { PipelineDefinition, validatePipeline } from "./pipeline.ts";

export const decodeOptions = { errors: "all", onExcessProperty: "error" } as const;

/** Messages may quote a rejected value; a hostile body must not come back as a huge error. */
const maxMessageLength = 500;

const clip = (s: string): string =>
  s.length <= maxMessageLength ? s : `${s.slice(0, maxMessageLength - 1)}…`;

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((k) => (typeof k === "symbol" ? k.toString() : String(k))).join(".");

/** Effect's parse issues as flat `{ path, message }` entries, in the order Effect found them. */
export const issuesOf = (error: ParseResult.ParseError): ReadonlyArray<Issue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => ({
    path: formatPath(i.path),
    message: clip(i.message),
  }));

/** `path: message` of the first issue, noting how many more there are. */
export const summarize = (issues: ReadonlyArray<Issue>): string => {
  const [first] = issues;
  if (first === undefined) return "invalid input";
  const head = first.path === "" ? first.message : `${first.path}: ${first.message}`;
  return issues.length > 1 ? `${head} (and ${issues.length - 1} more)` : head;
};

export const invalidInput = (issues: ReadonlyArray<Issue>): InvalidInput =>
  new InvalidInput({ message: summarize(issues), issues });

/** A decoder for `schema` that fails with `InvalidInput`. */
export const decodeWith =
  <A, I>(schema: Schema.Schema<A, I, never>) =>
  (u: unknown): Either.Either<A, InvalidInput> =>
    Schema.decodeUnknownEither(
      schema,
      decodeOptions,
    )(u).pipe(Either.mapLeft((error) => invalidInput(issuesOf(error))));

/** The schema alone: the definition `decodeJobSpec` agrees with (see job-spec-fast.ts). */
export const decodeJobSpecWithSchema: (u: unknown) => Either.Either<JobSpec, InvalidInput> =
  decodeWith(JobSpec);

/** The fast path (`parsed`: see `keysOf`), and the schema for whatever it does not take. */
const decodeSpec = (u: unknown, parsed: boolean): Either.Either<JobSpec, InvalidInput> => {
  const fast = fastJobSpec(u, parsed);
  return fast === undefined ? decodeJobSpecWithSchema(u) : Either.right(fast);
};

/**
 * A JobSpec from untrusted input. The usual shapes take a hand-written path (job-spec-fast.ts,
 * about 30 times faster); everything else, every refusal included, goes through the schema.
 */
export const decodeJobSpec = (u: unknown): Either.Either<JobSpec, InvalidInput> =>
  decodeSpec(u, false);

/**
 * `decodeJobSpec` for parsed data (a request's JSON body, a store's own rows in MessagePack or
 * JSON), whose objects have only enumerable string keys: the fast path does not look for others
 * (`keysOf`).
 */
export const decodeParsedJobSpec = (u: unknown): Either.Either<JobSpec, InvalidInput> =>
  decodeSpec(u, true);

/**
 * A JobSpec from a literal written in code (examples, tests, the pipeline builder), defaults
 * applied. Throws `InvalidInput` on a bad literal: in code, that is a bug to fix, not to handle.
 */
export const jobSpec = (input: JobSpecInput): JobSpec =>
  Either.getOrThrowWith(decodeJobSpec(input), (error) => error);

/** Decodes the definition, then checks its graph (duplicates, unknown needs, cycles). */
export const decodePipeline = (
  u: unknown,
): Either.Either<PipelineDefinition, InvalidInput | PipelineInvalid> =>
  Either.flatMap(decodeWith(PipelineDefinition)(u), validatePipeline);
