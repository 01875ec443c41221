/**
 * `since` of a job list: how far back (`90s`, `15m`, `1h`, `2d`, `500ms`) or from when (an RFC
 * 3339 time). Decoded to either, so the handler turns a duration into a time on its clock.
 */
import { ParseResult, Schema } from "effect";

const units: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export type Since = { readonly ago: number } | { readonly at: number };

export const SinceParam = Schema.transformOrFail(
  Schema.String.annotations({
    description:
      "jobs changed since: a duration back from now (90s, 15m, 1h, 2d) or an RFC 3339 time",
  }),
  Schema.Union(Schema.Struct({ ago: Schema.Number }), Schema.Struct({ at: Schema.Number })),
  {
    strict: true,
    decode: (s, _, ast) => {
      const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(s);
      if (m !== null) return ParseResult.succeed({ ago: Number(m[1]) * units[m[2]!]! });
      const at = /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
      return Number.isFinite(at)
        ? ParseResult.succeed({ at })
        : ParseResult.fail(
            new ParseResult.Type(
              ast,
              s,
              `Expected a duration (90s, 15m, 1h, 2d) or an RFC 3339 time, actual "${s}"`,
            ),
          );
    },
    encode: (v, _, ast) =>
      "at" in v
        ? ParseResult.succeed(new Date(v.at).toISOString())
        : ParseResult.fail(new ParseResult.Forbidden(ast, v, "a duration is not encoded")),
  },
);

/** The instant `since` names, on a clock that reads `now`. */
export const sinceAt = (since: Since, now: number): number =>
  "at" in since ? since.at : now - since.ago;
