/**
 * The agent's link to its supervisor: register, hold a session, heartbeat, and come back.
 *
 * Modes:
 * - connecting: RegisterWorker (with the worker id once known, and the jobs the agent still
 *   runs, so the supervisor can reconcile), then Session with Hello.
 * - connected: Welcome received. Heartbeats leave every `heartbeatIntervalMs` (the first at
 *   once, which tells the supervisor the session is up); supervisor commands are passed on.
 * - waiting: the session ended or could not be set up; after a backoff delay with full jitter
 *   (reset once a session was established) it connects again, under the same worker id.
 * - left / stopped: after a Leave the supervisor acknowledged, or `stop()`. `done` resolves.
 * - failed: the supervisor refused the agent itself (UNAUTHENTICATED, PERMISSION_DENIED,
 *   INVALID_ARGUMENT): retrying cannot help, so `done` rejects with that error.
 */
import { status, type ClientDuplexStream } from "@grpc/grpc-js";
import { Either } from "effect";
import { FrameBatch } from "../protocol/frame-batch.ts";
import {
  reportBytes,
  type AgentMessage,
  type JobRef,
  type LogBatch,
  type RegisterWorkerRequest,
  type Report,
} from "../protocol/wire.ts";
import { AgentRefused, isFatal } from "./agent-refused.ts";
import { Backoff, sleep, type BackoffOptions } from "./backoff.ts";
import { HwpClient, isServiceError, type ConnectionTarget } from "./client.ts";
import type { WorkerEventListener } from "./events.ts";
import { openSession, type SessionCall } from "./session.ts";
import {
  decodeRegistered,
  type Registered,
  type SupervisorCommand,
} from "./supervisor-messages.ts";
import type { TelemetrySampler } from "./telemetry.ts";

export interface ConnectionOptions {
  readonly target: ConnectionTarget;
  readonly registration: Omit<RegisterWorkerRequest, "workerId" | "running">;
  readonly workerId?: string;
  /** The secret `workerId` was given: how the agent proves it is that worker. */
  readonly workerSecret?: string;
  readonly backoff: BackoffOptions;
  readonly registerTimeoutMs: number;
  readonly telemetry: TelemetrySampler;
  /** The attempts to report on (re)registering: running, or finished and not acknowledged. */
  readonly running: () => ReadonlyArray<JobRef>;
  readonly runningCount: () => number;
  readonly onCommand: (command: SupervisorCommand) => void;
  /** A session was welcomed: send again what awaits acknowledgement. */
  readonly onConnected: () => void;
  readonly onEvent: WorkerEventListener;
}

interface Live {
  readonly client: HwpClient;
  readonly call: SessionCall;
  readonly workerId: string;
  /** Reports of this turn, coalesced into one frame (frame-batch.ts). */
  readonly frames: FrameBatch<Report, AgentMessage>;
}

export class Connection {
  private id: string | undefined;
  private secret: string | undefined;
  private live: Live | undefined;
  private call: SessionCall | undefined;
  private waiters: Array<{ resolve: (l: Live) => void; reject: (e: Error) => void }> = [];
  private leaving = false;
  private finished = false;
  private readonly stopper = new AbortController();
  private readonly backoff: Backoff;
  readonly done: Promise<void>;

  constructor(private readonly o: ConnectionOptions) {
    this.id = o.workerId;
    this.secret = o.workerSecret;
    this.backoff = new Backoff(o.backoff);
    this.done = this.loop();
    // `done` is also awaited by the worker; this keeps a fatal error from being "unhandled"
    // in the window before it is.
    this.done.catch(() => {});
  }

  get workerId(): string | undefined {
    return this.id;
  }

  get workerSecret(): string | undefined {
    return this.secret;
  }

  /** Sends on the current session, after the reports queued; false (not sent) when there is none. */
  send(message: AgentMessage): boolean {
    if (this.live === undefined) return false;
    this.live.frames.send(message);
    return true;
  }

  /**
   * Queues a report on the current session, to leave with the others of this turn; false (not
   * sent) when there is none. A report queued when the session ends is dropped with it: results
   * are sent again on the next session, and running attempts are listed when re-registering.
   */
  report(item: Report): boolean {
    if (this.live === undefined) return false;
    this.live.frames.add(item);
    return true;
  }

  /** The current session once there is one; rejects once the connection has finished. */
  whenConnected(): Promise<{ readonly workerId: string }> {
    return this.current();
  }

  /** A StreamLogs call on the current session's connection. */
  readonly openLogs = async (): Promise<ClientDuplexStream<LogBatch | Buffer, unknown>> => {
    const live = await this.current();
    return live.client.openLogs(live.workerId);
  };

  /** Sends Leave (again after each reconnect) until the supervisor ends the session OK. */
  leave(): Promise<void> {
    this.leaving = true;
    this.send({ leave: {} });
    return this.done;
  }

  stop(): Promise<void> {
    this.finished = true;
    this.stopper.abort();
    this.call?.cancel();
    return this.done.catch(() => {});
  }

  private current(): Promise<Live> {
    if (this.live !== undefined) return Promise.resolve(this.live);
    if (this.finished) return Promise.reject(new Error("the agent's connection has ended"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async loop(): Promise<void> {
    try {
      while (!this.finished) {
        const client = new HwpClient(this.o.target);
        client.identify(this.identity());
        let welcomed = false;
        try {
          const registered = await this.register(client);
          welcomed = await this.session(client, registered);
        } catch (e) {
          if (e instanceof AgentRefused) throw e;
          const code = isServiceError(e) ? e.code : status.UNKNOWN;
          const message = e instanceof Error ? e.message : String(e);
          this.o.onEvent({ type: "disconnected", code, message });
        } finally {
          client.close();
        }
        if (this.finished) break;
        if (welcomed) this.backoff.reset();
        await sleep(this.backoff.next(), this.stopper.signal);
      }
    } finally {
      this.finished = true;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.reject(new Error("the agent's connection has ended"));
    }
  }

  private async register(client: HwpClient): Promise<Registered> {
    const request: RegisterWorkerRequest = {
      ...this.o.registration,
      workerId: this.id ?? "",
      running: this.o.running(),
    };
    let response: unknown;
    try {
      response = await client.register(request, this.o.registerTimeoutMs, this.stopper.signal);
    } catch (e) {
      if (isServiceError(e) && isFatal(e.code)) throw new AgentRefused(e.code, e.details);
      throw e;
    }
    const decoded = decodeRegistered(response);
    if (Either.isLeft(decoded)) {
      throw new Error(`malformed RegisterWorker response: ${decoded.left.message}`);
    }
    const { workerSecret, ...registered } = decoded.right;
    this.id = registered.workerId;
    if (workerSecret !== "") this.secret = workerSecret;
    client.identify(this.identity());
    // Back within a restarted supervisor's grace (one heartbeat timeout), however often it failed.
    this.backoff.capAt(registered.heartbeatTimeoutMs / 3);
    this.o.onEvent({ type: "registered", ...registered });
    return registered;
  }

  /** The id and secret to prove, once the agent has both. */
  private identity() {
    return this.id === undefined || this.secret === undefined
      ? undefined
      : { workerId: this.id, secret: this.secret };
  }

  /** Runs one session to its end; true if it was welcomed. Throws AgentRefused. */
  private async session(client: HwpClient, registered: Registered): Promise<boolean> {
    if (this.finished) return false;
    const { workerId } = registered;
    const { call, ended } = openSession({
      client,
      registered,
      telemetry: this.o.telemetry,
      runningCount: this.o.runningCount,
      onCommand: this.o.onCommand,
      onEvent: this.o.onEvent,
      onWelcome: (welcomed) => {
        const frames = new FrameBatch<Report, AgentMessage>({
          write: (message) => welcomed.write(message),
          single: (item) => item,
          many: (items) => ({ reports: { items } }),
          sizeOf: reportBytes,
          // Sized by string length: a quarter of the limit leaves room for UTF-8.
          maxBytes: Math.floor(this.o.target.maxMessageBytes / 4),
        });
        const live = { client, call: welcomed, workerId, frames };
        this.live = live;
        for (const w of this.waiters.splice(0)) w.resolve(live);
        if (this.leaving) frames.send({ leave: {} });
        this.o.onConnected();
      },
    });
    this.call = call;
    const { welcomed, status: st } = await ended;
    if (this.call === call) this.call = undefined;
    if (this.live?.call === call) {
      this.live.frames.discard();
      this.live = undefined;
    }
    if (st.code === status.OK && this.leaving) {
      this.finished = true;
      this.o.onEvent({ type: "left" });
    } else if (isFatal(st.code)) {
      throw new AgentRefused(st.code, st.details);
    } else {
      this.o.onEvent({ type: "disconnected", code: st.code, message: st.details });
    }
    return welcomed;
  }
}
