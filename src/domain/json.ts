/**
 * JSON values: a handler's input and output cross the wire and the database as JSON, so they
 * must be plain data — no `undefined`, `NaN`, functions, class instances or cycles — and bounded.
 *
 * Checked by one walk rather than a recursive `Schema.Union`: a union reports every member it
 * tried at every level, while the walk names the one offending path and stops there, and it
 * enforces a depth limit so a hostile document cannot exhaust the stack.
 */
import { Schema } from "effect";
import { Limits } from "./primitives.ts";

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue };

interface JsonProblem {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

const isPlainObject = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u);
  return proto === Object.prototype || proto === null;
};

/**
 * The first place where `u` stops being JSON, or is too deep or too long; undefined when it is
 * JSON within the limits. Length is the approximate JSON text length (string escapes not
 * counted), tallied during the walk so that counting stops as soon as the limit is passed.
 */
export const findJsonProblem = (
  u: unknown,
  maxLength: number = Limits.jsonLength,
  maxDepth: number = Limits.jsonDepth,
): JsonProblem | undefined => {
  const seen = new Set<object>();
  let length = 0;
  const walk = (v: unknown, path: ReadonlyArray<PropertyKey>): JsonProblem | undefined => {
    if (v === null || typeof v === "boolean") length += 5;
    else if (typeof v === "string") length += v.length + 2;
    else if (typeof v === "number") {
      if (!Number.isFinite(v)) return { path, message: `Expected a finite number, actual ${v}` };
      length += String(v).length;
    } else if (typeof v !== "object") {
      return { path, message: `Expected a JSON value, actual ${typeof v}` };
    }
    if (length > maxLength) {
      return { path: [], message: `Expected JSON of at most ${maxLength} characters, actual more` };
    }
    if (v === null || typeof v !== "object") return undefined;
    if (path.length >= maxDepth) {
      return { path, message: `Expected JSON nested at most ${maxDepth} levels deep` };
    }
    if (seen.has(v)) return { path, message: "Expected JSON, actual a circular reference" };
    seen.add(v);
    try {
      if (Array.isArray(v)) {
        length += 2 + v.length;
        for (let i = 0; i < v.length; i++) {
          const p = walk(v[i], [...path, i]);
          if (p) return p;
        }
        return undefined;
      }
      if (!isPlainObject(v)) {
        const actual = v.constructor?.name ?? "object";
        return { path, message: `Expected a plain JSON object, actual ${actual}` };
      }
      length += 2;
      for (const [key, child] of Object.entries(v)) {
        length += key.length + 4;
        const p = walk(child, [...path, key]);
        if (p) return p;
      }
      return undefined;
    } finally {
      // Shared (non-circular) references are fine in JSON: only the current branch counts.
      seen.delete(v);
    }
  };
  return walk(u, []);
};

/** A JSON value whose text is at most about `maxLength` characters. */
export const boundedJson = (maxLength: number = Limits.jsonLength): Schema.Schema<JsonValue> =>
  Schema.Unknown.pipe(
    Schema.filter((u) => findJsonProblem(u, maxLength), {
      jsonSchema: {},
      description: `any JSON value, at most ${maxLength} characters as text`,
    }),
    // The filter above proves the type; Schema cannot infer a recursive type from a predicate.
  ) as unknown as Schema.Schema<JsonValue>;

export const JsonValue = boundedJson().annotations({ identifier: "JsonValue" });
