/**
 * Heartbeats on their way to the core, gathered per turn of the event loop.
 *
 * A heartbeat is the report every agent sends every interval; the core takes it synchronously
 * (it moves the worker's deadline and writes its telemetry columns), with no Effect
 * (`heartbeatNow`: an Effect per heartbeat cost about as much as the core's own work). The
 * heartbeats that arrive in one turn (hundreds, with thousands of agents) are handed over
 * together, in arrival order, at the end of the turn (`setImmediate`).
 *
 * A refused heartbeat (a worker the core does not know, or one it declared lost) is passed back
 * to its session, which ends itself; the agent then registers again. If the core makes one wait (a full mailbox), the rest of the turn's heartbeats
 * wait behind it: back-pressure. A session flushes the batch before a report whose order
 * against its heartbeats matters (Leave: a heartbeat after it would find the worker gone).
 */
import { Effect } from "effect";
import { Conflict, NotFound } from "../domain/errors.ts";
import type { Telemetry } from "../domain/worker.ts";
import type { AgentInbound } from "../supervisor/gateway.ts";
import { refusalOf, type Refusal } from "./refusal.ts";

/** What to do when the core refuses a heartbeat: end the session it came on. */
export type Refused = (refusal: Refusal) => void;

export class HeartbeatBatch {
  private workers: string[] = [];
  private telemetry: Telemetry[] = [];
  private refused: Refused[] = [];
  private scheduled = false;

  constructor(private readonly inbound: AgentInbound) {}

  add(workerId: string, telemetry: Telemetry, refused: Refused): void {
    this.workers.push(workerId);
    this.telemetry.push(telemetry);
    this.refused.push(refused);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Hands over what is gathered now (also run at the end of the turn). */
  readonly flush = (): void => {
    this.scheduled = false;
    const { workers, telemetry, refused, inbound } = this;
    if (workers.length === 0) return;
    this.workers = [];
    this.telemetry = [];
    this.refused = [];
    const one = (i: number): Effect.Effect<void> | undefined => {
      const r = inbound.heartbeatNow(workers[i]!, telemetry[i]!);
      if (r === undefined) return undefined;
      if (r instanceof NotFound || r instanceof Conflict) {
        refused[i]!(refusalOf(r));
        return undefined;
      }
      return r;
    };
    for (let i = 0; i < workers.length; i++) {
      const waiting = one(i);
      if (waiting === undefined) continue;
      // A full mailbox: this one and the rest of the turn's, once there is room.
      const rest = Effect.forEach(
        workers.slice(i + 1),
        (_, j) => Effect.suspend(() => one(i + 1 + j) ?? Effect.void),
        { discard: true },
      );
      void Effect.runPromise(Effect.zipRight(waiting, rest));
      return;
    }
  };
}
