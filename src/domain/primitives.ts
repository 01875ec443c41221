/**
 * Building blocks shared by the domain schemas: the size limits, and the small value schemas
 * (bounded integers and strings, timestamps, labels, handler names) built on them.
 *
 * Every limit lives in `Limits` so the API can quote them, and so that a job spec that would
 * make the supervisor or an agent allocate without bound is refused at the door. Every
 * refusal message says what was expected and what arrived, without echoing huge values back.
 */
import { Schema, type ParseResult } from "effect";

export const Limits = {
  /** Job names and other short human-written names. */
  nameLength: 128,
  labelCount: 64,
  labelKeyLength: 63,
  labelValueLength: 255,
  envCount: 256,
  envValueLength: 32_768,
  argvCount: 1024,
  argLength: 131_072,
  /** Linux refuses an exec whose argv and env together pass ARG_MAX (2 MiB by default). */
  argvTotalLength: 1_048_576,
  shellLength: 131_072,
  pathLength: 4096,
  /** Handler input and output, measured as JSON text (UTF-16 code units, roughly bytes). */
  jsonLength: 1_048_576,
  jsonDepth: 64,
  constraintCount: 32,
  handlerCount: 1024,
  keyLength: 256,
  messageLength: 65_536,
  stepCount: 1000,
  /** One week: longer than this is a service, not a job. */
  timeoutMs: 604_800_000,
} as const;

/** A short, safe description of a rejected value: big strings and arrays are summarised. */
export const describeActual = (u: unknown): string => {
  if (typeof u === "string") {
    return u.length <= 40 ? JSON.stringify(u) : `a string of ${u.length} characters`;
  }
  if (Array.isArray(u)) return `an array of ${u.length} items`;
  if (u === null || typeof u !== "object") return String(u);
  const keys = Object.keys(u);
  return keys.length <= 8 ? `an object with keys [${keys.join(", ")}]` : `an object`;
};

/**
 * The message of a "at most n items" check. Effect also uses it when the value is not a list or
 * record at all (null, say), so it says what the value is then instead of counting it.
 */
export const atMost =
  (max: number, items: string, kind: string) =>
  (issue: ParseResult.ParseIssue): string => {
    const u = issue.actual;
    if (Array.isArray(u)) return `Expected at most ${max} ${items}, actual ${u.length}`;
    if (typeof u === "object" && u !== null)
      return `Expected at most ${max} ${items}, actual ${Object.keys(u).length}`;
    return `Expected ${kind}, actual ${describeActual(u)}`;
  };

/** A message annotation that replaces Effect's default wording with `Expected <what>, actual ...`. */
export const expected = (what: string) => ({
  description: what,
  message: (issue: ParseResult.ParseIssue) => ({
    message: `Expected ${what}, actual ${describeActual(issue.actual)}`,
    override: true,
  }),
});

/**
 * A choice among string literals. Effect checks a literal union member by member and, asked for
 * all errors, reports one issue per member; this reports one: `Expected one of "a" | "b", ...`.
 */
export const literals = <const L extends readonly [string, ...string[]]>(...values: L) =>
  Schema.Literal(...values).annotations(
    expected(`one of ${values.map((v) => JSON.stringify(v)).join(" | ")}`),
  );

/**
 * For struct schemas: replaces Effect's "Expected { readonly name: ... }" (the whole type,
 * printed) when the value is not an object at all, and keeps the per-field messages otherwise.
 */
export const objectExpected = (what: string) => ({
  message: (issue: ParseResult.ParseIssue) => {
    const u = issue.actual;
    const isObject = typeof u === "object" && u !== null && !Array.isArray(u);
    return { message: `Expected ${what}, actual ${describeActual(u)}`, override: !isObject };
  },
});

/** An integer in `[min, max]`, with one message for every way of missing it (type or range). */
export const boundedInt = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
  Schema.Int.pipe(Schema.between(min, max), Schema.annotations(expected(what)));

/** A string of `min..max` characters. */
export const boundedString = (min: number, max: number, what?: string) =>
  Schema.String.pipe(
    Schema.minLength(min),
    Schema.maxLength(max),
    Schema.annotations(
      expected(
        what ??
          (min > 0
            ? `a string of ${min} to ${max} characters`
            : `a string of at most ${max} characters`),
      ),
    ),
  );

/** Wall-clock instants are epoch milliseconds: JSON-friendly and what Effect's Clock returns. */
export const Timestamp = boundedInt(0, Number.MAX_SAFE_INTEGER, "epoch milliseconds").annotations({
  identifier: "Timestamp",
});
export type Timestamp = typeof Timestamp.Type;

/**
 * A string matching `pattern`, at most `maxLength` long, as one refinement: Effect prints a
 * record's key schema in its "is unexpected" message, and a single refinement prints as `what`
 * rather than as a chain of regular expressions.
 */
export const patternString = (pattern: RegExp, maxLength: number, what: string) =>
  Schema.String.pipe(
    Schema.filter((s) => s.length <= maxLength && pattern.test(s), {
      ...expected(what),
      jsonSchema: { pattern: pattern.source, maxLength },
    }),
  );

/**
 * Printable, not padded: names end up in logs, metrics and error messages. No lone surrogates
 * (\p{Cs}): they are not text, and cannot be written as UTF-8.
 */
export const namePattern = /^[^\s\p{Cc}\p{Cs}](?:[^\p{Cc}\p{Cs}]*[^\s\p{Cc}\p{Cs}])?$/u;
export const Name = patternString(
  namePattern,
  Limits.nameLength,
  `a name of 1 to ${Limits.nameLength} printable characters, not padded with spaces`,
);

/** Label keys follow the Kubernetes shape so that labels copied from a cluster just work. */
export const LabelKey = patternString(
  /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/,
  Limits.labelKeyLength,
  `a label key: letters, digits, '.', '_', '/', '-', at most ${Limits.labelKeyLength}`,
);

export const LabelValue = boundedString(0, Limits.labelValueLength);

export const Labels = Schema.Record({ key: LabelKey, value: LabelValue }).pipe(
  Schema.filter((r) => Object.keys(r).length <= Limits.labelCount, {
    message: atMost(Limits.labelCount, "labels", "an object of labels"),
    jsonSchema: { maxProperties: Limits.labelCount },
  }),
  Schema.annotations({ identifier: "Labels", description: "string labels, key to value" }),
);
export type Labels = typeof Labels.Type;

/** The name under which an agent registers an in-process function (`HandlerSpec`). */
export const HandlerName = patternString(
  /^[A-Za-z_][A-Za-z0-9_.:/-]*$/,
  Limits.nameLength,
  "a handler name: a letter or '_', then letters, digits, '_', '.', ':', '/', '-'",
).annotations({ identifier: "HandlerName" });
export type HandlerName = typeof HandlerName.Type;

/** Free-form keys (idempotency, concurrency) chosen by the caller. */
export const Key = boundedString(1, Limits.keyLength);
