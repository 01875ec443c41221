/**
 * The service definition the supervisor serves: proto.ts's, with the two hot request decoders
 * in front of protobufjs. A Session message that is a plain heartbeat arrives at the handler as
 * a `DecodedHeartbeat`, a plain LogBatch as a `DecodedLogBatchBytes`; every other message, or
 * one these readers do not take, arrives as protobufjs's object, exactly as before. The
 * handlers then skip decoding what is already decoded (agent-messages.ts, log-batch.ts).
 */
import type { ServiceDefinition } from "@grpc/grpc-js";
import { heartbeatFromBytes } from "./heartbeat-bytes.ts";
import { logBatchFromBytes } from "./log-batch-bytes.ts";
import { hwpProtocol } from "./proto.ts";

type Definition = ServiceDefinition[string];

const withDecoder = (def: Definition, fast: (b: Buffer) => object | undefined): Definition => ({
  ...def,
  requestDeserialize: (bytes: Buffer) => fast(bytes) ?? def.requestDeserialize(bytes),
});

let served: ServiceDefinition | undefined;

export const servedService = (): ServiceDefinition => {
  if (served !== undefined) return served;
  const { service } = hwpProtocol();
  served = {
    ...service,
    Session: withDecoder(service["Session"]!, heartbeatFromBytes),
    StreamLogs: withDecoder(service["StreamLogs"]!, logBatchFromBytes),
  };
  return served;
};
