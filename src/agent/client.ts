/**
 * The agent's gRPC client for one connection attempt: the three HWP calls, each carrying the
 * bearer token (and, once the agent has one, its worker id and secret), over plaintext or TLS
 * (mTLS when a client certificate is given).
 *
 * A new client is made for every reconnect attempt and closed with the session it served.
 * Reusing one channel would put grpc-js's own reconnect backoff (up to two minutes) underneath
 * the agent's, and an agent must come back as soon as its supervisor does.
 */
import {
  Client,
  credentials,
  Metadata,
  type ClientDuplexStream,
  type ServiceError,
} from "@grpc/grpc-js";
import { hwpProtocol } from "../protocol/proto.ts";
import {
  workerIdHeader,
  workerSecretHeader,
  type AgentMessage,
  type LogBatch,
  type RegisterWorkerRequest,
} from "../protocol/wire.ts";

export type Pem = string | Buffer;

export interface ClientTlsOptions {
  /** CA that signed the supervisor's certificate; the system's roots when absent. */
  readonly ca?: Pem;
  /** Client certificate and key, for a supervisor that requires mTLS. */
  readonly cert?: Pem;
  readonly key?: Pem;
  /** Expected name in the supervisor's certificate when it differs from the dialled host. */
  readonly serverName?: string;
}

export interface ConnectionTarget {
  /** `host:port` to dial. */
  readonly address: string;
  readonly token: string;
  /** Present: TLS. */
  readonly tls?: ClientTlsOptions;
  readonly maxMessageBytes: number;
  readonly keepaliveMs: number;
}

const pem = (p: Pem | undefined): Buffer | null =>
  p === undefined ? null : typeof p === "string" ? Buffer.from(p) : p;

export const isServiceError = (e: unknown): e is ServiceError =>
  e instanceof Error && typeof (e as Partial<ServiceError>).code === "number";

/** Who the agent is: the id and secret RegisterWorker gave it (src/hwp/identity.ts). */
export interface WorkerIdentity {
  readonly workerId: string;
  readonly secret: string;
}

export class HwpClient {
  private readonly client: Client;
  private readonly methods = hwpProtocol().methods;
  private identity: WorkerIdentity | undefined;

  constructor(private readonly target: ConnectionTarget) {
    const { tls } = target;
    const creds =
      tls === undefined
        ? credentials.createInsecure()
        : credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
    this.client = new Client(target.address, creds, {
      "grpc.max_receive_message_length": target.maxMessageBytes,
      "grpc.max_send_message_length": target.maxMessageBytes,
      "grpc.keepalive_time_ms": target.keepaliveMs,
      "grpc.keepalive_timeout_ms": Math.min(20_000, target.keepaliveMs),
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.enable_channelz": 0,
      ...(tls?.serverName === undefined ? {} : { "grpc.ssl_target_name_override": tls.serverName }),
    });
  }

  /** Every call from now on proves it is this worker. */
  identify(identity: WorkerIdentity | undefined): void {
    this.identity = identity;
  }

  private metadata(workerId?: string): Metadata {
    const m = new Metadata();
    m.set("authorization", `Bearer ${this.target.token}`);
    if (this.identity !== undefined) {
      m.set(workerIdHeader, this.identity.workerId);
      m.set(workerSecretHeader, this.identity.secret);
    }
    if (workerId !== undefined) m.set(workerIdHeader, workerId);
    return m;
  }

  /** Resolves with the response, undecoded; rejects with the call's ServiceError. */
  register(
    request: RegisterWorkerRequest,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<unknown> {
    const m = this.methods.registerWorker;
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        m.path,
        m.serializeRequest,
        m.deserializeResponse,
        request,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          signal.removeEventListener("abort", cancel);
          if (error) reject(error);
          else resolve(response);
        },
      );
      const cancel = () => call.cancel();
      signal.addEventListener("abort", cancel, { once: true });
    });
  }

  openSession(): ClientDuplexStream<AgentMessage, unknown> {
    const m = this.methods.session;
    return this.client.makeBidiStreamRequest(
      m.path,
      m.serializeRequest,
      m.deserializeResponse,
      this.metadata(),
    );
  }

  /**
   * A StreamLogs call. The log shipper writes batches already encoded (log-batch-bytes.ts),
   * which go out as they are; a LogBatch object is encoded by protobufjs.
   */
  openLogs(workerId: string): ClientDuplexStream<LogBatch | Buffer, unknown> {
    const m = this.methods.streamLogs;
    return this.client.makeBidiStreamRequest(
      m.path,
      (batch: LogBatch | Buffer) => (Buffer.isBuffer(batch) ? batch : m.serializeRequest(batch)),
      m.deserializeResponse,
      this.metadata(workerId),
    );
  }

  close(): void {
    this.client.close();
  }
}
