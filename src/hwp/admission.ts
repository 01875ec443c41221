/**
 * How many workers may be registered, and what happens to one that registers and never opens
 * its session (an agent that died at once — or someone registering in a loop):
 *
 * - At most `maxWorkers` registered at once. A registration that would add one more is refused
 *   with RESOURCE_EXHAUSTED before the core hears of it; a worker proving an identity it already
 *   has (a reconnect) always gets back in.
 * - A new identity whose agent has not said Hello within `sessionDeadlineMs` (the heartbeat
 *   timeout it was given) is forgotten: `onAbandoned` drops its registration, its secret and
 *   its record, so it neither counts against the limit nor lists as a worker.
 */
import { status } from "@grpc/grpc-js";
import type { Refusal } from "./refusal.ts";

export class Admission {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly maxWorkers: number,
    private readonly registered: () => number,
    private readonly onAbandoned: (workerId: string) => void,
  ) {}

  /** A registration that would add a worker: refused when the limit is reached. */
  roomForOneMore(): Refusal | undefined {
    return this.registered() < this.maxWorkers
      ? undefined
      : {
          code: status.RESOURCE_EXHAUSTED,
          message: `too many workers registered (at most ${this.maxWorkers}: maxWorkers)`,
        };
  }

  /** A new identity was registered: its session must open within `sessionDeadlineMs`. */
  awaitSession(workerId: string, sessionDeadlineMs: number): void {
    clearTimeout(this.pending.get(workerId));
    const timer = setTimeout(() => {
      this.pending.delete(workerId);
      this.onAbandoned(workerId);
    }, sessionDeadlineMs);
    timer.unref();
    this.pending.set(workerId, timer);
  }

  /** Its session said Hello: it is a worker now. */
  sessionOpened(workerId: string): void {
    clearTimeout(this.pending.get(workerId));
    this.pending.delete(workerId);
  }

  /** Server shutdown. */
  close(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
