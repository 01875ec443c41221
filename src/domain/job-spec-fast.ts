/**
 * The hot path of JobSpec decoding: every submitted job passes here, by the thousand per second
 * on a batch. Effect Schema takes about 30 µs for an ordinary spec; these plain checks take
 * about one. They exist for speed only, never as a second definition of a valid spec:
 *
 * - `fastJobSpec` accepts a subset of what `JobSpec` (job-spec.ts) accepts — plain data (objects
 *   from `JSON.parse` or literals) of the usual shapes — and answers exactly what the schema
 *   answers for it: the same values, defaults applied, keys in the same order.
 * - Anything else gives `undefined`, and the caller decodes with the schema: every refusal, and
 *   every unusual input (symbols, non-enumerable or `__proto__` keys, class instances), meets
 *   the schema, so errors read the same whichever path the input took.
 *
 * property-tests/job-spec-decode.test.ts checks both claims on arbitrary valid and invalid
 * specs. The limits (`Limits`) and the defaults are imported; the patterns and the few ranges
 * the schemas write inline are repeated here, so a change to one of those must be made in both
 * places, and the property test fails until it is.
 */
import { isRunAtString, maxDelayMs } from "./delay.ts";
import {
  exactly,
  has,
  intIn,
  keysOf,
  numberIn,
  patterned,
  stringOf,
  type Plain,
} from "./fast-checks.ts";
import { findJsonProblem } from "./json.ts";
import type { JobSpec } from "./job-spec.ts";
import { defaultResources } from "./job-spec.ts";
import { Limits, namePattern } from "./primitives.ts";
import { defaultPriority, priorityLevels } from "./priority.ts";
import { defaultQueue, queueNameLength, queueNamePattern } from "./queue.ts";
import { defaultRetryPolicy } from "./retry.ts";

/** The same patterns as primitives.ts and work.ts (the property test holds them together). */
const labelKeyPattern = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const handlerNamePattern = /^[A-Za-z_][A-Za-z0-9_.:/-]*$/;

/** A string record (labels, env): a fresh object with the input's key order. */
const stringRecord = (
  u: unknown,
  keyPattern: RegExp,
  keyMax: number,
  valueMax: number,
  maxCount: number,
  plain: boolean,
): Record<string, string> | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined || keys.length > maxCount) return undefined;
  const r = u as Plain;
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = r[key];
    if (key === "__proto__" || !patterned(key, keyPattern, keyMax)) return undefined;
    if (!stringOf(value, 0, valueMax)) return undefined;
    out[key] = value;
  }
  return out;
};

const argvOf = (u: unknown): ReadonlyArray<string> | undefined => {
  if (!Array.isArray(u) || u.length === 0 || u.length > Limits.argvCount) return undefined;
  let total = 0;
  const out: string[] = [];
  for (let i = 0; i < u.length; i++) {
    const arg: unknown = u[i];
    if (!stringOf(arg, 0, Limits.argLength)) return undefined;
    total += arg.length;
    out.push(arg);
  }
  return total <= Limits.argvTotalLength ? out : undefined;
};

const commandOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const c = u as Plain;
  for (const key of keys) {
    if (key !== "argv" && key !== "shell" && key !== "env" && key !== "cwd") return undefined;
  }
  const out: Plain = {};
  if (has(c, "argv") === has(c, "shell")) return undefined;
  if (has(c, "argv")) {
    const argv = argvOf(c["argv"]);
    if (argv === undefined) return undefined;
    out["argv"] = argv;
  } else {
    if (!stringOf(c["shell"], 1, Limits.shellLength)) return undefined;
    out["shell"] = c["shell"];
  }
  if (has(c, "env")) {
    const env = stringRecord(
      c["env"],
      envNamePattern,
      Limits.nameLength,
      Limits.envValueLength,
      Limits.envCount,
      plain,
    );
    if (env === undefined) return undefined;
    out["env"] = env;
  } else out["env"] = {};
  if (has(c, "cwd")) {
    if (!stringOf(c["cwd"], 1, Limits.pathLength)) return undefined;
    out["cwd"] = c["cwd"];
  }
  return out;
};

const handlerOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const h = u as Plain;
  for (const key of keys) if (key !== "name" && key !== "input") return undefined;
  if (!patterned(h["name"], handlerNamePattern, Limits.nameLength)) return undefined;
  // The schema passes the input through as it is (same reference), once it is JSON.
  if (!has(h, "input")) return { name: h["name"], input: null };
  return findJsonProblem(h["input"]) === undefined
    ? { name: h["name"], input: h["input"] }
    : undefined;
};

/** The integer range of each resource (job-spec.ts `Resources`). */
const resourceRanges: Readonly<Record<string, readonly [number, number]>> = {
  cpuMillis: [0, 1_024_000],
  memoryMb: [0, 16_777_216],
  gpus: [0, 64],
};

const resourcesOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const r = u as Plain;
  const out: Plain = { ...defaultResources };
  for (const key of keys) {
    const range = Object.hasOwn(resourceRanges, key) ? resourceRanges[key] : undefined;
    if (range === undefined || !intIn(r[key], range[0], range[1])) return undefined;
    out[key] = r[key];
  }
  // Schema order, whatever the input's.
  return { cpuMillis: out["cpuMillis"], memoryMb: out["memoryMb"], gpus: out["gpus"] };
};

const retryOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const r = u as Plain;
  const out: Plain = { ...defaultRetryPolicy };
  for (const key of keys) {
    const v = r[key];
    const ok =
      key === "maxAttempts"
        ? intIn(v, 1, 1000)
        : key === "initialDelayMs" || key === "maxDelayMs"
          ? intIn(v, 0, 86_400_000)
          : key === "multiplier"
            ? numberIn(v, 1, 100)
            : key === "jitter" && numberIn(v, 0, 1);
    if (!ok) return undefined;
    out[key] = v;
  }
  const { maxAttempts, initialDelayMs, multiplier, maxDelayMs, jitter } = out;
  return { maxAttempts, initialDelayMs, multiplier, maxDelayMs, jitter };
};

const constraintOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const c = u as Plain;
  const { key, op } = c;
  if (!has(c, "key") || !patterned(key, labelKeyPattern, Limits.labelKeyLength)) return undefined;
  if ((op === "eq" || op === "neq") && exactly(c, keys, "key", "op", "value")) {
    const value = c["value"];
    return stringOf(value, 0, Limits.labelValueLength) ? { key, op, value } : undefined;
  }
  if (op === "in" && exactly(c, keys, "key", "op", "values")) {
    const values: unknown = c["values"];
    if (!Array.isArray(values) || values.length < 1 || values.length > Limits.labelCount) {
      return undefined;
    }
    const out: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const v: unknown = values[i];
      if (!stringOf(v, 0, Limits.labelValueLength)) return undefined;
      out.push(v);
    }
    return { key, op, values: out };
  }
  return op === "exists" && exactly(c, keys, "key", "op") ? { key, op } : undefined;
};

const constraintsOf = (u: unknown, plain: boolean): ReadonlyArray<Plain> | undefined => {
  if (!Array.isArray(u) || u.length > Limits.constraintCount) return undefined;
  const out: Plain[] = [];
  for (let i = 0; i < u.length; i++) {
    const c = constraintOf(u[i], plain);
    if (c === undefined) return undefined;
    out.push(c);
  }
  return out;
};

const priorityOf = (u: unknown): number | undefined => {
  if (intIn(u, 0, 1000)) return u;
  if (u === "low" || u === "normal" || u === "high" || u === "critical") return priorityLevels[u];
  return undefined;
};

/** Every field JobSpec has. One it gains later sends specs that use it to the schema. */
const jobSpecKeys: ReadonlySet<string> = new Set([
  "name",
  "command",
  "handler",
  "resources",
  "labels",
  "constraints",
  "timeoutMs",
  "retry",
  "priority",
  "concurrencyKey",
  "idempotencyKey",
  "strategy",
  "queue",
  "runAt",
  "delayMs",
]);

/**
 * The spec `JobSpec` decodes `u` to, when `u` is plain data of the usual shapes and valid;
 * `undefined` otherwise (invalid, or unusual): then decode with the schema. `plain`: `u` is
 * known to be parsed data (see `keysOf`).
 */
export const fastJobSpec = (u: unknown, plain = false): JobSpec | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  for (const key of keys) if (!jobSpecKeys.has(key)) return undefined;
  const s = u as Plain;
  if (!patterned(s["name"], namePattern, Limits.nameLength)) return undefined;
  const out: Plain = { name: s["name"] };
  if (has(s, "command") === has(s, "handler")) return undefined;
  if (has(s, "command")) {
    const command = commandOf(s["command"], plain);
    if (command === undefined) return undefined;
    out["command"] = command;
  } else {
    const handler = handlerOf(s["handler"], plain);
    if (handler === undefined) return undefined;
    out["handler"] = handler;
  }
  // Every field is written in the order JobSpec lists it: the order of the schema's output.
  const resources = has(s, "resources")
    ? resourcesOf(s["resources"], plain)
    : { ...defaultResources };
  if (resources === undefined) return undefined;
  out["resources"] = resources;
  const labels = has(s, "labels")
    ? stringRecord(
        s["labels"],
        labelKeyPattern,
        Limits.labelKeyLength,
        Limits.labelValueLength,
        Limits.labelCount,
        plain,
      )
    : {};
  if (labels === undefined) return undefined;
  out["labels"] = labels;
  const constraints = has(s, "constraints") ? constraintsOf(s["constraints"], plain) : [];
  if (constraints === undefined) return undefined;
  out["constraints"] = constraints;
  if (has(s, "timeoutMs")) {
    if (!intIn(s["timeoutMs"], 1, Limits.timeoutMs)) return undefined;
    out["timeoutMs"] = s["timeoutMs"];
  }
  const retry = has(s, "retry") ? retryOf(s["retry"], plain) : { ...defaultRetryPolicy };
  if (retry === undefined) return undefined;
  out["retry"] = retry;
  const priority = has(s, "priority") ? priorityOf(s["priority"]) : defaultPriority;
  if (priority === undefined) return undefined;
  out["priority"] = priority;
  for (const key of ["concurrencyKey", "idempotencyKey"] as const) {
    if (has(s, key)) {
      if (!stringOf(s[key], 1, Limits.keyLength)) return undefined;
      out[key] = s[key];
    }
  }
  if (has(s, "strategy")) {
    if (s["strategy"] !== "binpack" && s["strategy"] !== "spread") return undefined;
    out["strategy"] = s["strategy"];
  }
  if (has(s, "queue")) {
    if (!patterned(s["queue"], queueNamePattern, queueNameLength)) return undefined;
    out["queue"] = s["queue"];
  } else out["queue"] = defaultQueue;
  if (has(s, "runAt")) {
    if (has(s, "delayMs") || typeof s["runAt"] !== "string" || !isRunAtString(s["runAt"]))
      return undefined;
    out["runAt"] = s["runAt"];
  }
  if (has(s, "delayMs")) {
    if (!intIn(s["delayMs"], 0, maxDelayMs)) return undefined;
    out["delayMs"] = s["delayMs"];
  }
  return out as unknown as JobSpec;
};
