/**
 * The service definition the supervisor serves: proto.ts's, with two changes to how requests
 * are read.
 *
 * - The two hot request decoders sit in front of protobufjs: a Session message that is a
 *   plain heartbeat arrives at the handler as a `DecodedHeartbeat`, a plain LogBatch as a
 *   `DecodedLogBatchBytes`; every other message, or one these readers do not take, arrives as
 *   protobufjs's object, exactly as before. The handlers then skip decoding what is already
 *   decoded (agent-messages.ts, log-batch.ts).
 * - Bytes that are not a message at all arrive as `Undecodable` instead of failing the call in
 *   grpc-js (INTERNAL, before any handler runs). So the handler checks the caller's token
 *   first — a bad token is UNAUTHENTICATED whatever the body — and only then refuses the body
 *   (INVALID_ARGUMENT).
 */
import type { ServiceDefinition } from "@grpc/grpc-js";
import { heartbeatFromBytes } from "./heartbeat-bytes.ts";
import { logBatchFromBytes } from "./log-batch-bytes.ts";
import { hwpProtocol } from "../protocol/proto.ts";

type Definition = ServiceDefinition[string];

/** A request protobufjs could not read. */
export class Undecodable {
  constructor(readonly why: string) {}
}

const withDecoder = (def: Definition, fast?: (b: Buffer) => object | undefined): Definition => ({
  ...def,
  requestDeserialize: (bytes: Buffer) => {
    try {
      return fast?.(bytes) ?? def.requestDeserialize(bytes);
    } catch (e) {
      return new Undecodable(
        `the message is not a valid ${def.path.slice(def.path.lastIndexOf("/") + 1)} request: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  },
});

let served: ServiceDefinition | undefined;

export const servedService = (): ServiceDefinition => {
  if (served !== undefined) return served;
  const { service } = hwpProtocol();
  served = {
    ...service,
    RegisterWorker: withDecoder(service["RegisterWorker"]!),
    Session: withDecoder(service["Session"]!, heartbeatFromBytes),
    StreamLogs: withDecoder(service["StreamLogs"]!, logBatchFromBytes),
  };
  return served;
};
