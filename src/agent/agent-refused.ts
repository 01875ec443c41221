/**
 * The one failure an agent does not retry: the supervisor refused the agent itself, not a
 * passing condition. A wrong token (UNAUTHENTICATED), a token for someone else
 * (PERMISSION_DENIED) or a registration it will never accept (INVALID_ARGUMENT) stay wrong
 * however often the agent tries, so it stops and says why; everything else (the supervisor
 * restarting, the network) is waited out with backoff.
 */
import { status } from "@grpc/grpc-js";

export class AgentRefused extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`supervisor refused the agent: ${status[code] ?? code}: ${details}`);
    this.name = "AgentRefused";
  }
}

const fatalCodes = new Set<number>([
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
  status.INVALID_ARGUMENT,
]);

export const isFatal = (code: number): boolean => fatalCodes.has(code);
