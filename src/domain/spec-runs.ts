/**
 * Decoding stored specs read one after another (a starting supervisor reads every unfinished
 * job's row): jobs come in runs of one kind, and a spec equal, as data, to the one read before
 * it decodes to that one's spec again — the same object, not decoded anew. What is compared is
 * what the store gave (parsed data: plain objects, arrays, scalars), field by field, and the
 * comparison ends at the first difference: a spec with its own handler input is decoded as
 * before, after a few comparisons more.
 */
import { Either } from "effect";
import { decodeParsedJobSpec } from "./decode.ts";
import type { InvalidInput } from "./errors.ts";
import type { JobSpec } from "./job-spec.ts";

/**
 * Whether `a` and `b` are the same parsed data: plain objects (no enumerable key inherited, no
 * value undefined), arrays and scalars, as a store or JSON.parse gives them.
 */
export const sameData = (a: unknown, b: unknown): boolean => {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    return Object.is(a, b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // Parsed data: every key its own (nothing enumerable is inherited), and no value undefined,
  // so a key `b` lacks reads as undefined and differs, or as a function (`constructor`) and
  // differs, but for `__proto__` (JSON.parse makes it an own key), which reads as an object.
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const key in x) {
    if (key === "__proto__" && !Object.hasOwn(y, key)) return false;
    if (!sameData(x[key], y[key])) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
};

/** `decodeParsedJobSpec`, for specs read in a run (see the header). */
export const specRunDecoder = (): ((u: unknown) => Either.Either<JobSpec, InvalidInput>) => {
  let lastInput: unknown;
  let last: Either.Either<JobSpec, InvalidInput> | undefined;
  return (u) => {
    if (last !== undefined && Either.isRight(last) && sameData(u, lastInput)) return last;
    lastInput = u;
    last = decodeParsedJobSpec(u);
    return last;
  };
};
