/**
 * The HWP server's options, normalized once: defaults applied here (and documented here), bad
 * values refused at start-up with the option's name rather than surfacing later as an obscure
 * gRPC failure.
 */
import { Either, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import { boundedInt, expected } from "../domain/primitives.ts";
import type { AgentInbound } from "../supervisor/gateway.ts";
import type { AuthOptions } from "./auth.ts";
import type { SecretStore } from "./identity.ts";

export type Pem = string | Buffer;

export interface HwpTlsOptions {
  readonly cert: Pem;
  readonly key: Pem;
  /** When set, agents must present a client certificate signed by this CA (mTLS). */
  readonly ca?: Pem;
}

export interface HwpServerOptions {
  /** `host:port`; default `127.0.0.1:50051`. Port 0 binds an ephemeral port (see `port`). */
  readonly address?: string;
  readonly inbound: AgentInbound;
  readonly auth: AuthOptions;
  /** Plaintext without it. */
  readonly tls?: HwpTlsOptions;
  /** Largest message either way; bigger ones fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** Server pings: every `timeMs` (default 30 s), dropped after `timeoutMs` (default 10 s). */
  readonly keepalive?: { readonly timeMs?: number; readonly timeoutMs?: number };
  /** Open sessions at most; one more is refused with RESOURCE_EXHAUSTED. Default 20,000. */
  readonly maxSessions?: number;
  /** Workers registered at once, at most (admission.ts). Default 10,000. */
  readonly maxWorkers?: number;
  /** Where worker secrets are kept (identity.ts): the store's; in memory when absent. */
  readonly secrets?: SecretStore;
  /** How long a new session may take to say Hello. Default 10 s. */
  readonly helloTimeoutMs?: number;
  /** `close()` waits this long for calls to finish, then cuts them. Default 5 s. */
  readonly shutdownGraceMs?: number;
}

const Address = Schema.String.pipe(
  Schema.filter((s) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
    return m !== null && Number(m[2]) <= 65535;
  }, expected("host:port, e.g. 127.0.0.1:50051 (port 0 for any free port)")),
);

const Numbers = Schema.Struct({
  address: Address,
  maxMessageBytes: boundedInt(1024, 256 * 1024 * 1024),
  keepaliveTimeMs: boundedInt(1000, 24 * 3_600_000),
  keepaliveTimeoutMs: boundedInt(100, 3_600_000),
  maxSessions: boundedInt(1, 1_000_000),
  maxWorkers: boundedInt(1, 1_000_000),
  helloTimeoutMs: boundedInt(1, 3_600_000),
  shutdownGraceMs: boundedInt(0, 3_600_000),
});

export type NormalizedHwpOptions = typeof Numbers.Type & {
  readonly inbound: AgentInbound;
  readonly auth: AuthOptions;
  readonly tls?: HwpTlsOptions;
  readonly secrets?: SecretStore;
};

export const defaultHwpAddress = "127.0.0.1:50051";

/** Throws `InvalidInput` naming every bad option. */
export const normalizeHwpOptions = (o: HwpServerOptions): NormalizedHwpOptions => {
  const numbers = Either.getOrThrowWith(
    decodeWith(Numbers)({
      address: o.address ?? defaultHwpAddress,
      maxMessageBytes: o.maxMessageBytes ?? 4 * 1024 * 1024,
      keepaliveTimeMs: o.keepalive?.timeMs ?? 30_000,
      keepaliveTimeoutMs: o.keepalive?.timeoutMs ?? 10_000,
      maxSessions: o.maxSessions ?? 20_000,
      maxWorkers: o.maxWorkers ?? 10_000,
      helloTimeoutMs: o.helloTimeoutMs ?? 10_000,
      shutdownGraceMs: o.shutdownGraceMs ?? 5_000,
    }),
    (e) => e,
  );
  return {
    ...numbers,
    inbound: o.inbound,
    auth: o.auth,
    ...(o.tls === undefined ? {} : { tls: o.tls }),
    ...(o.secrets === undefined ? {} : { secrets: o.secrets }),
  };
};
