/**
 * Why the worker protocol cannot listen, in words: grpc-js only says "No address added out of
 * total 1 resolved" (and logs the cause itself). So before binding, the address is tried with a
 * plain TCP listener: a port in use, or an address this machine does not have, is named at once
 * and grpc-js never sees it.
 */
import { createServer } from "node:net";
import { Data } from "effect";

export class HwpListenError extends Data.TaggedError("HwpListenError")<{
  readonly address: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `cannot serve the worker protocol on ${this.address}: ${this.reason}`;
  }
}

const reasons: Readonly<Record<string, string>> = {
  EADDRINUSE: "the port is in use (another hodei serve? --grpc or HODEI_GRPC_ADDR picks another)",
  EADDRNOTAVAIL: "this machine has no such address",
  EACCES: "not allowed to listen on that port",
};

/** Resolves when `host:port` could be listened on now; fails with the reason otherwise. */
export const checkListen = (address: string): Promise<void> => {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(i + 1));
  // An ephemeral port is always free; a name (not an address) is left to grpc-js to resolve.
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e: NodeJS.ErrnoException) =>
      reject(new HwpListenError({ address, reason: reasons[e.code ?? ""] ?? e.message })),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
};
