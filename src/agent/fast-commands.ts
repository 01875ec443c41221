/**
 * Hot-path decoding on the agent for the two supervisor messages that arrive once per job:
 * `assignJob` and `resultAck`. Effect Schema takes a few microseconds for each, and the two left
 * about 8 KB of garbage a job behind (a third of what a no-op handler job allocated on the
 * agent); these plain checks allocate the command and nothing else.
 *
 * They accept a strict subset of what the schemas (supervisor-messages.ts) accept: exactly the
 * fields proto-loader gives, a ULID, an attempt in range, and `acceptByMs` as canonical decimal
 * digits. Anything else — or anything unusual — gives `undefined`, and the schema decodes the
 * message and words its refusal. A property test holds the two equal.
 */
import { exactly, int64, intIn, keysOf, type Plain } from "../domain/fast-checks.ts";
import { isJobId } from "../domain/ids.ts";

export interface AssignCommand {
  readonly kind: "assign";
  readonly jobId: string;
  readonly attempt: number;
  readonly specJson: string;
  readonly acceptBy: number;
}

export interface ResultAckCommand {
  readonly kind: "resultAck";
  readonly jobId: string;
  readonly attempt: number;
}

/** The attempts a supervisor names (supervisor-messages.ts' `Attempt`). */
export const maxAttempt = 1000;

const ref = (r: Plain): r is Plain & { jobId: string; attempt: number } =>
  typeof r["jobId"] === "string" && isJobId(r["jobId"]) && intIn(r["attempt"], 1, maxAttempt);

export const fastAssign = (u: unknown): AssignCommand | undefined => {
  const keys = keysOf(u);
  if (keys === undefined) return undefined;
  const r = u as Plain;
  if (!exactly(r, keys, "jobId", "attempt", "specJson", "acceptByMs") || !ref(r)) return undefined;
  const specJson = r["specJson"];
  const acceptBy = int64(r["acceptByMs"], 0);
  if (typeof specJson !== "string" || acceptBy === undefined) return undefined;
  return { kind: "assign", jobId: r.jobId, attempt: r.attempt, specJson, acceptBy };
};

export const fastResultAck = (u: unknown): ResultAckCommand | undefined => {
  const keys = keysOf(u);
  if (keys === undefined) return undefined;
  const r = u as Plain;
  if (!exactly(r, keys, "jobId", "attempt") || !ref(r)) return undefined;
  return { kind: "resultAck", jobId: r.jobId, attempt: r.attempt };
};
