/**
 * Decoding what the supervisor sends. The agent trusts its supervisor's intent but not the
 * bytes: a malformed message is reported and skipped rather than crashing the agent, and an
 * assignment whose spec does not decode is answered with a `rejected` result (see jobs.ts), so
 * the supervisor places it elsewhere instead of waiting for its acceptance deadline.
 */
import { Either, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import { JobId, WorkerId } from "../domain/ids.ts";
import { boundedInt, boundedString } from "../domain/primitives.ts";
import {
  fastAssign,
  fastResultAck,
  maxAttempt,
  type AssignCommand,
  type ResultAckCommand,
} from "./fast-commands.ts";

const Attempt = boundedInt(1, maxAttempt);
const Ms = boundedInt(1, 7 * 24 * 3_600_000);
const EpochMs = Schema.compose(Schema.NumberFromString, boundedInt(0, Number.MAX_SAFE_INTEGER));

export interface Registered {
  readonly workerId: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
}

/** A RegisterWorker answer: what the agent keeps to, and (new workers) the secret it proves itself with. */
export const decodeRegistered: (
  u: unknown,
) => Either.Either<Registered & { readonly workerSecret: string }, InvalidInput> = decodeWith(
  Schema.Struct({
    workerId: WorkerId,
    heartbeatIntervalMs: Ms,
    heartbeatTimeoutMs: Ms,
    workerSecret: boundedString(0, 256),
  }),
);

export type SupervisorCommand =
  | { readonly kind: "welcome"; readonly workerId: string }
  /** Its `specJson` is decoded by the job table, so that a bad spec is answered, not dropped. */
  | AssignCommand
  | {
      readonly kind: "cancel";
      readonly jobId: string;
      readonly attempt: number;
      readonly graceMs: number;
    }
  | { readonly kind: "drain" }
  | ResultAckCommand
  | {
      readonly kind: "error";
      readonly code: number;
      readonly message: string;
      /** Set when the refusal is about one attempt. */
      readonly job?: { readonly jobId: string; readonly attempt: number };
    };

const JobRef = { jobId: JobId, attempt: Attempt };

const decoders = {
  welcome: decodeWith(Schema.Struct({ workerId: WorkerId })),
  assignJob: decodeWith(Schema.Struct({ ...JobRef, specJson: Schema.String, acceptByMs: EpochMs })),
  cancelJob: decodeWith(Schema.Struct({ ...JobRef, graceMs: boundedInt(0, 3_600_000) })),
  drain: decodeWith(Schema.Struct({})),
  resultAck: decodeWith(Schema.Struct(JobRef)),
  error: decodeWith(
    Schema.Struct({
      code: boundedInt(0, 16),
      message: boundedString(0, 65_536),
      jobId: Schema.String,
      attempt: boundedInt(0, 1000),
    }),
  ),
};

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u);

/**
 * The items of a `Work` message, each shaped as the SupervisorMessage it would have been alone
 * (`{ msg: "assignJob", assignJob }`); `undefined` for any other message.
 */
export const workItems = (u: unknown): ReadonlyArray<unknown> | undefined => {
  if (!isRecord(u) || u["msg"] !== "work") return undefined;
  const work = u["work"];
  const items = isRecord(work) ? work["items"] : undefined;
  return Array.isArray(items) ? items : [];
};

type Decoded = Either.Either<SupervisorCommand, InvalidInput> | undefined;

/**
 * `undefined` for a message this agent does not know (a newer supervisor's): ignored. The two
 * messages every job brings try the hand-written checks first (fast-commands.ts).
 */
export const decodeSupervisorMessage = (u: unknown): Decoded => {
  if (!isRecord(u)) return undefined;
  const fast =
    u["msg"] === "assignJob"
      ? fastAssign(u["assignJob"])
      : u["msg"] === "resultAck"
        ? fastResultAck(u["resultAck"])
        : undefined;
  return fast === undefined ? decodeSupervisorMessageBySchema(u) : Either.right(fast);
};

/** The same by the schemas alone: the definition the fast checks are held to. */
export const decodeSupervisorMessageBySchema = (u: unknown): Decoded => {
  if (!isRecord(u)) return undefined;
  const key = u["msg"];
  switch (key) {
    case "welcome":
      return Either.map(decoders.welcome(u[key]), (m) => ({ kind: "welcome" as const, ...m }));
    case "assignJob":
      return Either.map(decoders.assignJob(u[key]), ({ acceptByMs, ...m }) => ({
        kind: "assign" as const,
        ...m,
        acceptBy: acceptByMs,
      }));
    case "cancelJob":
      return Either.map(decoders.cancelJob(u[key]), (m) => ({ kind: "cancel" as const, ...m }));
    case "drain":
      return Either.map(decoders.drain(u[key]), () => ({ kind: "drain" as const }));
    case "resultAck":
      return Either.map(decoders.resultAck(u[key]), (m) => ({ kind: "resultAck" as const, ...m }));
    case "error":
      return Either.map(decoders.error(u[key]), ({ jobId, attempt, ...m }) => ({
        kind: "error" as const,
        ...m,
        ...(jobId === "" ? {} : { job: { jobId, attempt } }),
      }));
    default:
      return undefined;
  }
};
