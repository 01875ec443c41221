/**
 * The supervisor's side of HWP (the Hodei Worker Protocol over gRPC): `makeHwpServer` serves
 * agents on behalf of an `AgentInbound` (the supervisor core) and hands back the
 * `WorkerGateway` the core pushes assignments, cancels and drain requests through.
 */
export { makeHwpServer, hwpServer, readTlsFiles, type HwpServer } from "./server.ts";
export {
  defaultHwpAddress,
  type HwpServerOptions,
  type HwpTlsOptions,
  type Pem,
} from "./options.ts";
export { makeAuthenticator, workerRole, type AuthOptions, type AuthVerdict } from "./auth.ts";
export { hwpProtocol, protoPath, type HwpProtocol } from "../protocol/proto.ts";
