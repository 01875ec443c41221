/**
 * The live sessions, one per worker, and the `WorkerGateway` that pushes over them.
 *
 * A session binds to its worker id when the agent says Hello. Binding again for the same id
 * replaces the older session (it is closed with ABORTED): an agent that lost its connection
 * without noticing at once comes back on a new one, and the new one must win. Only the end of
 * the *current* session tells the core the worker disconnected.
 *
 * The registry also remembers which worker ids registered with this server, so that a session
 * or log stream for an id nobody registered is refused (FAILED_PRECONDITION): the agent then
 * registers again, which is also how it recovers after a supervisor restart.
 */
import { status } from "@grpc/grpc-js";
import type { Assignment, WorkerGateway } from "../supervisor/gateway.ts";
import type { Refusal } from "./refusal.ts";
import type { SupervisorMessage, WorkItem } from "../protocol/wire.ts";

/** What the registry needs of a session: a way to push to it and a way to end it. */
export interface SessionHandle {
  readonly workerId: string;
  /** A message that is never batched: it leaves after the work already queued. */
  readonly push: (message: SupervisorMessage) => void;
  /** An item about a job: it leaves with the others of this turn, in order. */
  readonly work: (item: WorkItem) => void;
  readonly close: (refusal: Refusal) => void;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, SessionHandle>();
  private readonly registered = new Set<string>();

  constructor(
    private readonly maxSessions: number,
    /** An assignment bigger than a message may be is not pushed: it would end the session. */
    private readonly maxMessageBytes: number = 4 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  markRegistered(workerId: string): void {
    this.registered.add(workerId);
  }

  /** Workers registered with this server and not forgotten. */
  get registeredCount(): number {
    return this.registered.size;
  }

  isRegistered(workerId: string): boolean {
    return this.registered.has(workerId);
  }

  /** The worker left for good: it must register again before it can open a session. */
  forget(workerId: string): void {
    this.registered.delete(workerId);
  }

  current(workerId: string): SessionHandle | undefined {
    return this.sessions.get(workerId);
  }

  /** Binds `handle`, closing the session it replaces; a refusal when the server is full. */
  bind(handle: SessionHandle): Refusal | undefined {
    const previous = this.sessions.get(handle.workerId);
    if (previous === undefined && this.sessions.size >= this.maxSessions) {
      return {
        code: status.RESOURCE_EXHAUSTED,
        message: `too many sessions (at most ${this.maxSessions})`,
      };
    }
    this.sessions.set(handle.workerId, handle);
    previous?.close({ code: status.ABORTED, message: "replaced by a newer session" });
    return undefined;
  }

  /** True when `handle` was the worker's current session (and is no longer). */
  unbind(handle: SessionHandle): boolean {
    if (this.sessions.get(handle.workerId) !== handle) return false;
    this.sessions.delete(handle.workerId);
    return true;
  }

  /** Ends every session (server shutdown); they are not reported as disconnections. */
  closeAll(refusal: Refusal): void {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) s.close(refusal);
  }

  /**
   * Pushes answer at once whether there was a session; delivery is not awaited.
   *
   * The spec travels as the JSON of the decoded JobSpec: every default filled in, and valid
   * input to the JobSpec schema the agent decodes it with (a test holds the round trip). It
   * skips `Schema.encode`, which is the identity on JobSpec today and costs about 40 µs a job,
   * most of the supervisor's time per assignment at 20,000 jobs/s. An assignment
   * too big for one message (`maxMessageBytes`) is not pushed either (false): sending it would
   * break the whole session.
   */
  readonly gateway: WorkerGateway = {
    assign: (workerId: string, a: Assignment): boolean => {
      const specJson = JSON.stringify(a.spec);
      // 1 KiB covers the other fields and the protobuf framing.
      if (Buffer.byteLength(specJson) + 1024 > this.maxMessageBytes) return false;
      return this.work(workerId, {
        assignJob: { jobId: a.jobId, attempt: a.attempt, specJson, acceptByMs: a.acceptBy },
      });
    },
    cancel: (workerId, c) =>
      this.work(workerId, {
        cancelJob: { jobId: c.jobId, attempt: c.attempt, graceMs: c.graceMs },
      }),
    drain: (workerId) => {
      const session = this.sessions.get(workerId);
      session?.push({ drain: {} });
      return session !== undefined;
    },
  };

  private work(workerId: string, item: WorkItem): boolean {
    const session = this.sessions.get(workerId);
    session?.work(item);
    return session !== undefined;
  }
}
