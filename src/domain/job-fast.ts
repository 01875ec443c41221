/**
 * The hot path of reading a stored job: recovery reads every unfinished row, a delayed job come
 * due reads its own, the API reads pages of them. The `Job` schema (job.ts) takes tens of µs a
 * row; these plain checks a few. As with job-spec-fast.ts they are for speed only:
 *
 * - `fastJob` accepts a subset of what `Job` accepts — plain data of the usual shapes — and
 *   answers exactly what the schema answers for it: same values, keys in the schema's order.
 * - Anything else gives `undefined`, and the caller decodes with the schema, so a corrupt row is
 *   named the same way whichever path it took.
 *
 * property-tests/job-decode.test.ts holds both claims on drawn rows, valid and corrupted.
 */
import { findJsonProblem } from "./json.ts";
import type { Job } from "./job.ts";
import { fastJobSpec } from "./job-spec-fast.ts";
import { jobStates } from "./job-state.ts";
import { has, intIn, keysOf, patterned, stringOf, type Plain } from "./fast-checks.ts";
import { Limits, namePattern } from "./primitives.ts";
import { maxAttemptNumber } from "./retry.ts";

/** The same patterns as ids.ts (the property test holds them together). */
const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const workerIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const states: ReadonlySet<unknown> = new Set(jobStates);
const jobKeys: ReadonlySet<string> = new Set([
  "id",
  "spec",
  "state",
  "attempt",
  "createdAt",
  "updatedAt",
  "transitions",
  "workerId",
  "result",
  "pipelineRunId",
  "pipelineStep",
]);

const timestamp = (u: unknown): u is number => intIn(u, 0, Number.MAX_SAFE_INTEGER);
const attempt = (u: unknown): u is number => intIn(u, 0, maxAttemptNumber);
const int = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u);
const workerId = (u: unknown): u is string => typeof u === "string" && workerIdPattern.test(u);

const transitionOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const t = u as Plain;
  for (const k of keys) {
    if (k !== "state" && k !== "at" && k !== "attempt" && k !== "workerId" && k !== "exitCode")
      return undefined;
  }
  if (!states.has(t["state"]) || !timestamp(t["at"]) || !attempt(t["attempt"])) return undefined;
  const out: Plain = { state: t["state"], at: t["at"], attempt: t["attempt"] };
  if (has(t, "workerId")) {
    if (!workerId(t["workerId"])) return undefined;
    out["workerId"] = t["workerId"];
  }
  if (has(t, "exitCode")) {
    if (!int(t["exitCode"])) return undefined;
    out["exitCode"] = t["exitCode"];
  }
  return out;
};

const transitionsOf = (u: unknown, plain: boolean): ReadonlyArray<Plain> | undefined => {
  if (!Array.isArray(u)) return undefined;
  const out: Plain[] = [];
  for (let i = 0; i < u.length; i++) {
    const t = transitionOf(u[i], plain);
    if (t === undefined) return undefined;
    out.push(t);
  }
  return out;
};

const resultOf = (u: unknown, plain: boolean): Plain | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  const r = u as Plain;
  for (const k of keys) if (k !== "exitCode" && k !== "output" && k !== "error") return undefined;
  const out: Plain = {};
  if (has(r, "exitCode")) {
    if (!int(r["exitCode"])) return undefined;
    out["exitCode"] = r["exitCode"];
  }
  if (has(r, "output")) {
    // The schema passes a JSON output through as it is (same reference).
    if (findJsonProblem(r["output"], Limits.jsonLength) !== undefined) return undefined;
    out["output"] = r["output"];
  }
  if (has(r, "error")) {
    if (!stringOf(r["error"], 0, Limits.messageLength)) return undefined;
    out["error"] = r["error"];
  }
  return out;
};

/**
 * The Job `Job` decodes `u` to, when `u` is plain data of the usual shapes and valid;
 * `undefined` otherwise (invalid, or unusual): then decode with the schema. `plain`: `u` is
 * known to be parsed data (see `keysOf`).
 */
export const fastJob = (u: unknown, plain = false): Job | undefined => {
  const keys = keysOf(u, plain);
  if (keys === undefined) return undefined;
  for (const key of keys) if (!jobKeys.has(key)) return undefined;
  const j = u as Plain;
  if (typeof j["id"] !== "string" || !ulidPattern.test(j["id"])) return undefined;
  const spec = fastJobSpec(j["spec"], plain);
  if (spec === undefined || !states.has(j["state"]) || !attempt(j["attempt"])) return undefined;
  if (!timestamp(j["createdAt"]) || !timestamp(j["updatedAt"])) return undefined;
  const transitions = transitionsOf(j["transitions"], plain);
  if (transitions === undefined) return undefined;
  const out: Plain = {
    id: j["id"],
    spec,
    state: j["state"],
    attempt: j["attempt"],
    createdAt: j["createdAt"],
    updatedAt: j["updatedAt"],
    transitions,
  };
  if (has(j, "workerId")) {
    if (!workerId(j["workerId"])) return undefined;
    out["workerId"] = j["workerId"];
  }
  if (has(j, "result")) {
    const result = resultOf(j["result"], plain);
    if (result === undefined) return undefined;
    out["result"] = result;
  }
  if (has(j, "pipelineRunId")) {
    if (typeof j["pipelineRunId"] !== "string" || !ulidPattern.test(j["pipelineRunId"]))
      return undefined;
    out["pipelineRunId"] = j["pipelineRunId"];
  }
  if (has(j, "pipelineStep")) {
    if (!patterned(j["pipelineStep"], namePattern, Limits.nameLength)) return undefined;
    out["pipelineStep"] = j["pipelineStep"];
  }
  return out as unknown as Job;
};
