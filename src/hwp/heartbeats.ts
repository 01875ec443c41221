/**
 * Heartbeats on their way to the core, gathered per turn of the event loop.
 *
 * A heartbeat is the report every agent sends every interval; the core takes it synchronously
 * (it moves the worker's deadline and writes its telemetry columns). Running each as its own
 * Effect costs a fiber per heartbeat, about as much as the core's own work; the heartbeats that
 * arrive in one turn (hundreds, with thousands of agents) are handed over in one run instead,
 * one after another in arrival order, at the end of the turn (`setImmediate`).
 *
 * A refused heartbeat (a worker the core does not know) is passed back to its session, which
 * ends itself. If the core makes one wait (a full mailbox), the rest of its run waits behind it:
 * back-pressure, as before. A session flushes the batch before a report whose order against its
 * heartbeats matters (Leave: a heartbeat after it would find the worker gone).
 */
import { Effect, Exit } from "effect";
import type { Telemetry } from "../domain/worker.ts";
import type { AgentInbound } from "../supervisor/gateway.ts";
import { outcomeOf, runReportNow, type Refusal } from "./refusal.ts";

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
    const one = (workerId: string, i: number) =>
      Effect.catchAllCause(inbound.heartbeat(workerId, telemetry[i]!), (cause) =>
        Effect.sync(() => {
          const outcome = outcomeOf(Exit.failCause(cause));
          if (!outcome.ok) refused[i]!(outcome.refusal);
        }),
      );
    void runReportNow(Effect.forEach(workers, one, { discard: true }));
  };
}
