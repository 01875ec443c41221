/**
 * The plain checks the hand-written decoders (job-spec-fast.ts, job-fast.ts) are made of. Each
 * answers what the schemas' checks answer for plain data; anything unusual is left to the schema.
 */
export type Plain = Record<string, unknown>;

/** An object whose own keys are all enumerable strings: what the schema reads, and no more. */
export const keysOf = (u: unknown): ReadonlyArray<string> | undefined => {
  if (typeof u !== "object" || u === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(u);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Object.keys(u);
  return Reflect.ownKeys(u).length === keys.length ? keys : undefined;
};

export const has = (r: Plain, key: string): boolean => Object.hasOwn(r, key);

/** `keys` are exactly `names`, in any order. */
export const exactly = (r: Plain, keys: ReadonlyArray<string>, ...names: string[]): boolean =>
  keys.length === names.length && names.every((n) => has(r, n));

export const intIn = (u: unknown, min: number, max: number): u is number =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= min && u <= max;

export const numberIn = (u: unknown, min: number, max: number): u is number =>
  typeof u === "number" && u >= min && u <= max;

export const stringOf = (u: unknown, min: number, max: number): u is string =>
  typeof u === "string" && u.length >= min && u.length <= max;

export const patterned = (u: unknown, pattern: RegExp, max: number): u is string =>
  typeof u === "string" && u.length <= max && pattern.test(u);
