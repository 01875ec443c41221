/**
 * The simulator's virtual clock: a discrete-event queue. Nothing sleeps and no timer is set;
 * `next()` jumps the clock to the earliest pending event and runs it. Events due at the same
 * time run in the order they were scheduled (FIFO), which is how a mailbox orders messages.
 *
 * Every event belongs to a lane, so a simulated crash can lose exactly what a real one loses:
 * - `pipeline`: messages waiting in the pipeline actor's mailbox (and its timer);
 * - `host`: the supervisor's work in flight for the pipeline (a submit not yet performed);
 * - `world`: jobs, agents, the scheduler, and what the scenario does from outside (signals,
 *   cancel). These survive a supervisor restart: they are durable or outside the process.
 */

export type Lane = "pipeline" | "host" | "world";

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly lane: Lane;
  readonly run: () => void;
}

export interface VirtualClock {
  /** The current virtual time (ms). */
  readonly now: () => number;
  /** Runs `run` at `at` (never before now). */
  readonly schedule: (at: number, lane: Lane, run: () => void) => void;
  /** Runs the earliest pending event; false when none is left. */
  readonly next: () => boolean;
  /** Forgets every pending event of the lane (a crash loses it). */
  readonly drop: (lane: Lane) => void;
  readonly pending: () => number;
}

const before = (a: Pending, b: Pending): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export const makeClock = (start = 0): VirtualClock => {
  let now = start;
  let seq = 0;
  // Sorted, earliest first: a run holds tens of events, so a binary insert beats a heap.
  let queue: Pending[] = [];
  return {
    now: () => now,
    schedule: (at, lane, run) => {
      const entry: Pending = { at: Math.max(at, now), seq: seq++, lane, run };
      let lo = 0;
      let hi = queue.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(queue[mid]!, entry)) lo = mid + 1;
        else hi = mid;
      }
      queue.splice(lo, 0, entry);
    },
    next: () => {
      const entry = queue.shift();
      if (entry === undefined) return false;
      now = entry.at;
      entry.run();
      return true;
    },
    drop: (lane) => {
      queue = queue.filter((e) => e.lane !== lane);
    },
    pending: () => queue.length,
  };
};
