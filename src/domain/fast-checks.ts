/**
 * The plain checks the hand-written decoders (job-spec-fast.ts, job-fast.ts) are made of. Each
 * answers what the schemas' checks answer for plain data; anything unusual is left to the schema.
 */
export type Plain = Record<string, unknown>;

/**
 * The keys of an object whose own keys are all enumerable strings: what the schema reads, and
 * no more. `plain`: `u` is parsed data (`JSON.parse`, a store's MessagePack), whose objects
 * have no other keys, so they are not looked for: `Reflect.ownKeys` makes an array of every
 * key a second time, ~13% of reading a queued job back at start-up.
 */
export const keysOf = (u: unknown, plain = false): ReadonlyArray<string> | undefined => {
  if (typeof u !== "object" || u === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(u);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Object.keys(u);
  return plain || Reflect.ownKeys(u).length === keys.length ? keys : undefined;
};

export const has = (r: Plain, key: string): boolean => Object.hasOwn(r, key);

/** `keys` are exactly `names`, in any order. */
export const exactly = (r: Plain, keys: ReadonlyArray<string>, ...names: string[]): boolean =>
  keys.length === names.length && names.every((n) => has(r, n));

export const intIn = (u: unknown, min: number, max: number): u is number =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= min && u <= max;

/** An int64 as proto-loader gives it (`longs: String`): canonical decimal digits, a safe integer. */
export const int64 = (u: unknown, min: number): number | undefined => {
  if (typeof u !== "string" || !/^\d{1,16}$/.test(u)) return undefined;
  const n = Number(u);
  return Number.isSafeInteger(n) && n >= min && String(n) === u ? n : undefined;
};

export const numberIn = (u: unknown, min: number, max: number): u is number =>
  typeof u === "number" && u >= min && u <= max;

export const stringOf = (u: unknown, min: number, max: number): u is string =>
  typeof u === "string" && u.length >= min && u.length <= max;

export const patterned = (u: unknown, pattern: RegExp, max: number): u is string =>
  typeof u === "string" && u.length <= max && pattern.test(u);
