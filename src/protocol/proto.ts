/**
 * `proto/hwp.proto`, loaded at run time: the one definition of the wire that the supervisor
 * (src/hwp) and the agent (src/agent) share. Nothing is generated, so nothing can drift from the
 * .proto; the TypeScript shapes in wire.ts are checked against it by a round-trip test.
 *
 * Loader options, and why:
 * - `keepCase: false`: fields arrive camelCased, as the domain names them, so a decoding error
 *   names `capacity.cpuMillis`, the field a TypeScript caller wrote.
 * - `longs: String`: int64 would otherwise arrive as a Long object; callers parse the string.
 * - `enums: String`: enum values arrive by name (`"STDERR"`), readable in errors.
 * - `defaults: true`: absent scalars arrive as their zero value, absent messages as null, so a
 *   missing field is refused by validation with its path rather than crashing a handler.
 * - `oneofs: true`: each oneof also arrives as a virtual field naming its set member (`msg`,
 *   `outcome`), which is how messages are dispatched.
 */
import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type MethodDefinition } from "@grpc/proto-loader";
import type {
  AgentMessage,
  LogAck,
  LogBatch,
  RegisterWorkerRequest,
  RegisterWorkerResponse,
  SupervisorMessage,
} from "./wire.ts";

export const protoPath = fileURLToPath(new URL("../../proto/hwp.proto", import.meta.url));

export const loaderOptions = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

export const serviceName = "hodei.hwp.v1.WorkerProtocol";

/**
 * A method as one side sees it: what it writes is typed, what it reads is `unknown` until a
 * schema has decoded it (everything that comes off the wire is untrusted, on both sides).
 */
export interface WireMethod<Req, Res> {
  readonly path: string;
  readonly serializeRequest: (r: Req) => Buffer;
  readonly deserializeRequest: (b: Buffer) => unknown;
  readonly serializeResponse: (r: Res) => Buffer;
  readonly deserializeResponse: (b: Buffer) => unknown;
}

export interface HwpMethods {
  readonly registerWorker: WireMethod<RegisterWorkerRequest, RegisterWorkerResponse>;
  readonly session: WireMethod<AgentMessage, SupervisorMessage>;
  readonly streamLogs: WireMethod<LogBatch, LogAck>;
}

export interface HwpProtocol {
  /** For `server.addService`. */
  readonly service: ServiceDefinition;
  readonly methods: HwpMethods;
}

const method = <Req, Res>(def: MethodDefinition<object, object>): WireMethod<Req, Res> => ({
  path: def.path,
  serializeRequest: (r) => def.requestSerialize(r as object),
  deserializeRequest: (b) => def.requestDeserialize(b),
  serializeResponse: (r) => def.responseSerialize(r as object),
  deserializeResponse: (b) => def.responseDeserialize(b),
});

let loaded: HwpProtocol | undefined;

/** Loads the .proto once per process (parsing it takes a few milliseconds). */
export const hwpProtocol = (): HwpProtocol => {
  if (loaded !== undefined) return loaded;
  const pkg = loadSync(protoPath, loaderOptions);
  const service = pkg[serviceName] as unknown as Record<string, MethodDefinition<object, object>>;
  const get = (name: string): MethodDefinition<object, object> => {
    const def = service[name];
    if (def === undefined) throw new Error(`${protoPath}: ${serviceName}.${name} is missing`);
    return def;
  };
  loaded = {
    service: service as unknown as ServiceDefinition,
    methods: {
      registerWorker: method(get("RegisterWorker")),
      session: method(get("Session")),
      streamLogs: method(get("StreamLogs")),
    },
  };
  return loaded;
};
