/**
 * Decoding what an agent says on its session, before anything reaches the supervisor core.
 * Every field is checked with the domain's schemas, so a refusal names the field the way the
 * agent's author wrote it (`heartbeat.telemetry.cpuPercent`) and says what was expected.
 *
 * The `msg` oneof discriminator selects the schema; each payload is decoded under its own key so
 * that issue paths start with it. Heartbeats, the most frequent message, take a fast path when
 * well formed: read from the bytes by the server's deserializer (heartbeat-bytes.ts), or else
 * checked by hand on protobufjs's object (fast-decode.ts); so do JobAccepted and a successful
 * JobResult, which every job sends.
 */
import { Either, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import { WorkerId } from "../domain/ids.ts";
import { Telemetry } from "../domain/worker.ts";
import type { Outcome } from "../supervisor/gateway.ts";
import { fastHeartbeat, fastJobRef, fastJobResult } from "./fast-decode.ts";
import { DecodedHeartbeat } from "./heartbeat-bytes.ts";
import { decodeJobResult } from "./outcome.ts";
import { int64, isRecord, JobRefWire, refuse } from "./wire-schemas.ts";

/** What an agent said on its session, decoded. */
export type AgentReport =
  | { readonly kind: "hello"; readonly workerId: string }
  | { readonly kind: "heartbeat"; readonly telemetry: Telemetry }
  | { readonly kind: "accepted"; readonly jobId: string; readonly attempt: number }
  | {
      readonly kind: "result";
      readonly jobId: string;
      readonly attempt: number;
      readonly outcome: Outcome;
    }
  | { readonly kind: "leave" };

const TelemetryWire = Schema.Struct({
  ...Telemetry.omit("at").fields,
  atMs: int64(Telemetry.fields.at, "epoch milliseconds"),
});

const decoders = {
  hello: decodeWith(Schema.Struct({ hello: Schema.Struct({ workerId: WorkerId }) })),
  heartbeat: decodeWith(Schema.Struct({ heartbeat: Schema.Struct({ telemetry: TelemetryWire }) })),
  jobAccepted: decodeWith(Schema.Struct({ jobAccepted: JobRefWire })),
  leave: decodeWith(Schema.Struct({ leave: Schema.Struct({}) })),
};

/**
 * The items of a `Reports` message, each shaped as the AgentMessage it would have been alone
 * (`{ msg: "jobResult", jobResult }`); `undefined` for any other message.
 */
export const reportItems = (u: unknown): ReadonlyArray<unknown> | undefined => {
  if (!isRecord(u) || u["msg"] !== "reports") return undefined;
  const reports = u["reports"];
  const items = isRecord(reports) ? reports["items"] : undefined;
  return Array.isArray(items) ? items : [];
};

/** The schema path alone: what the fast path must agree with. */
export const heartbeatBySchema = (heartbeat: unknown): Either.Either<Telemetry, InvalidInput> =>
  Either.map(decoders.heartbeat({ heartbeat }), (m) => {
    const { atMs, ...rest } = m.heartbeat.telemetry;
    return { ...rest, at: atMs };
  });

export const decodeAgentMessage = (u: unknown): Either.Either<AgentReport, InvalidInput> => {
  if (u instanceof DecodedHeartbeat) return Either.right(u);
  if (isRecord(u)) {
    if (u["msg"] === "jobAccepted") {
      const fast = fastJobRef(u["jobAccepted"]);
      if (fast !== undefined) return Either.right({ kind: "accepted", ...fast });
    } else if (u["msg"] === "jobResult") {
      const fast = fastJobResult(u["jobResult"]);
      if (fast !== undefined) return Either.right({ kind: "result", ...fast });
    }
  }
  return decodeAgentMessageBySchema(u);
};

/** The schemas alone (heartbeats excepted): what the fast paths must agree with. */
export const decodeAgentMessageBySchema = (
  u: unknown,
): Either.Either<AgentReport, InvalidInput> => {
  if (!isRecord(u)) return refuse("", "Expected an AgentMessage");
  switch (u["msg"]) {
    case "hello":
      return Either.map(decoders.hello({ hello: u["hello"] }), (m) => ({
        kind: "hello" as const,
        workerId: m.hello.workerId,
      }));
    case "heartbeat": {
      const fast = fastHeartbeat(u["heartbeat"]);
      const telemetry = fast !== undefined ? Either.right(fast) : heartbeatBySchema(u["heartbeat"]);
      return Either.map(telemetry, (t) => ({ kind: "heartbeat" as const, telemetry: t }));
    }
    case "jobAccepted":
      return Either.map(decoders.jobAccepted({ jobAccepted: u["jobAccepted"] }), (m) => ({
        kind: "accepted" as const,
        ...m.jobAccepted,
      }));
    case "jobResult":
      return Either.map(decodeJobResult(u["jobResult"]), (r) => ({
        kind: "result" as const,
        ...r,
      }));
    case "leave":
      return Either.map(decoders.leave({ leave: u["leave"] }), () => ({ kind: "leave" as const }));
    default:
      return refuse("msg", "is missing: an AgentMessage must set one of its fields");
  }
};
