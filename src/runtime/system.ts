/**
 * The actor system: live actors addressed by `kind/id`, driven by their XState machines,
 * persisted through a SnapshotStore, supervised, timed by Effect's Clock.
 *
 * Two fibers own everything, for the life of the system's Scope:
 * - the dispatcher: load the actors that were asked for, run a round of every mailbox with
 *   mail, commit the changed snapshots in one `saveBatch` (group commit), then perform the
 *   round's effects and passivate the actors that finished;
 * - the timer: sleeps on the Clock until the earliest deadline, then delivers `tick`s (and
 *   restarts after backoff). Under TestClock nothing sleeps for real.
 * Closing the Scope stops new messages, runs rounds until every mailbox is empty and every
 * snapshot committed, then ends both fibers.
 */
import { Data, Effect, Fiber, Schedule, type Scope } from "effect";
import type { SnapshotStore, StoreError } from "../persistence/snapshots.ts";
import type { Address } from "./address.ts";
import {
  makeDriver,
  type AnyBehaviour,
  type EffectOf,
  type InputOf,
  type MessageOf,
  type SnapshotOf,
} from "./behaviour.ts";
import { Cells, fireDue, type Answer } from "./cells.ts";

export type { Answer } from "./cells.ts";
import { defaultSupervision, type SupervisionPolicy } from "./supervision.ts";

export class ActorExists extends Data.TaggedError("ActorExists")<{ readonly address: string }> {}
export class ActorUnavailable extends Data.TaggedError("ActorUnavailable")<{
  readonly address: string;
  readonly reason: "stopped" | "closed" | "unknown kind";
}> {}

type Kinds = Record<string, AnyBehaviour>;
type KindEffect<K extends Kinds> = { [k in keyof K]: EffectOf<K[k]> }[keyof K];

export interface ActorSystemOptions<K extends Kinds> {
  readonly behaviours: K;
  readonly store: SnapshotStore;
  /** Every effect an actor emitted, called after the snapshot that emitted it is committed. */
  readonly onEffect?: (from: string, effect: KindEffect<K>) => void;
  readonly onDeadLetter?: (address: string, message: unknown, reason: string) => void;
  readonly onEscalate?: (address: string, cause: unknown) => void;
  readonly mailboxCapacity?: number;
  readonly supervision?: SupervisionPolicy;
  /** Live actors with no message for this long are passivated; `null` keeps them. */
  readonly passivateIdleAfterMs?: number | null;
}

export interface ActorSystem<K extends Kinds> {
  /** The system clock's time, epoch ms: what every message's `at` is stamped with. */
  readonly now: () => number;
  readonly spawn: <T extends keyof K & string>(
    to: Address<T>,
    input: InputOf<K[T]>,
  ) => Effect.Effect<void, ActorExists | ActorUnavailable>;
  /** Delivers a message, waiting while the mailbox is full. */
  readonly tell: <T extends keyof K & string>(
    to: Address<T>,
    message: MessageOf<K[T]>,
  ) => Effect.Effect<void, ActorUnavailable>;
  /**
   * Delivers a message and waits until its consequences are committed: the answer carries
   * the effects it caused (a `job.refused`, say), or why it was not taken.
   */
  readonly ask: <T extends keyof K & string>(
    to: Address<T>,
    message: MessageOf<K[T]>,
  ) => Effect.Effect<Answer, ActorUnavailable>;
  /** Synchronous fast path: false when the mailbox is full (then use `tell`) or unavailable. */
  readonly offer: <T extends keyof K & string>(to: Address<T>, message: MessageOf<K[T]>) => boolean;
  /** The live snapshot, or the committed one for a passivated actor. */
  readonly snapshot: <T extends keyof K & string>(
    to: Address<T>,
  ) => Effect.Effect<SnapshotOf<K[T]> | undefined, StoreError>;
  /**
   * Re-creates every unfinished actor of `kind` from the store, timers re-armed: what a
   * supervisor does at start. Returns how many were recovered.
   */
  readonly recover: (kind: keyof K & string) => Effect.Effect<number, StoreError>;
  /** True while mailboxes, loads or commits are pending. */
  readonly busy: () => boolean;
  /** Waits until every mailbox is empty and every change committed. */
  readonly settled: Effect.Effect<void>;
  readonly stats: () => {
    readonly live: number;
    readonly processed: number;
    readonly restarts: number;
    readonly deadLetters: number;
    readonly timers: number;
  };
}

export const makeActorSystem = <K extends Kinds>(
  options: ActorSystemOptions<K>,
): Effect.Effect<ActorSystem<K>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clock = yield* Effect.clock;
    const now = () => clock.unsafeCurrentTimeMillis();
    const drivers = new Map(Object.values(options.behaviours).map((b) => [b.kind, makeDriver(b)]));
    const cells = new Cells(
      drivers,
      options.mailboxCapacity ?? 1024,
      options.supervision ?? defaultSupervision,
      {
        deadLetter: options.onDeadLetter ?? (() => {}),
        escalate: options.onEscalate ?? (() => {}),
      },
    );
    const work = Effect.unsafeMakeLatch(false);
    const timerChanged = Effect.unsafeMakeLatch(false);
    const idle = Effect.unsafeMakeLatch(true);
    let closed = false;
    let earliest: number | null = null;

    const kick = () => {
      idle.unsafeClose();
      work.unsafeOpen();
      const next = cells.deadlines.peek();
      if (next !== null && (earliest === null || next < earliest)) timerChanged.unsafeOpen();
    };

    // A commit that fails is retried with backoff; the round's effects wait for it.
    const commit = (records: Parameters<SnapshotStore["saveBatch"]>[0]) =>
      options.store
        .saveBatch(records)
        .pipe(
          Effect.retry(Schedule.exponential("10 millis").pipe(Schedule.upTo("30 seconds"))),
          Effect.orDie,
        );

    const round = Effect.gen(function* () {
      const loading = cells.activating;
      cells.activating = [];
      for (const cell of loading) {
        const record = yield* options.store.load(cell.address).pipe(Effect.orDie);
        cells.activated(cell, record, now());
      }
      cells.round(now());
      const records = cells.pendingRecords();
      if (records.length > 0) yield* commit(records);
      cells.committed(records);
      const effects = cells.takeEffects();
      if (options.onEffect) {
        for (const [from, e] of effects) options.onEffect(from, e as KindEffect<K>);
      }
      for (const [reply, answer] of cells.takeAnswers()) reply(answer);
    }).pipe(Effect.uninterruptible);

    const dispatcher = Effect.gen(function* () {
      for (;;) {
        yield* work.await;
        work.unsafeClose();
        yield* round;
        if (cells.hasWork) work.unsafeOpen();
        else idle.unsafeOpen();
        const next = cells.deadlines.peek();
        if (next !== null && (earliest === null || next < earliest)) timerChanged.unsafeOpen();
      }
    });

    const fireAllDue = (t: number) => {
      for (const due of cells.deadlines.popDue(t)) fireDue(cells, due.address, due.at, t);
    };

    const idleAfter = options.passivateIdleAfterMs ?? null;
    const timer = Effect.gen(function* () {
      let lastSweep = now();
      for (;;) {
        timerChanged.unsafeClose();
        const sweepAt = idleAfter === null ? null : lastSweep + idleAfter;
        const next = cells.deadlines.peek();
        earliest = next === null ? sweepAt : sweepAt === null ? next : Math.min(next, sweepAt);
        if (earliest === null) yield* timerChanged.await;
        else {
          const wait = Math.max(0, earliest - now());
          if (wait > 0) yield* Effect.race(Effect.sleep(wait), timerChanged.await);
        }
        earliest = null;
        const t = now();
        fireAllDue(t);
        if (idleAfter !== null && t >= lastSweep + idleAfter) {
          cells.passivateIdle(t - idleAfter);
          lastSweep = t;
        }
        if (cells.hasWork) kick();
      }
    });

    const dispatcherFiber = yield* Effect.forkDaemon(dispatcher);
    const timerFiber = yield* Effect.forkDaemon(timer);

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closed = true;
        yield* Fiber.interrupt(timerFiber);
        yield* Fiber.interrupt(dispatcherFiber);
        while (cells.hasWork) yield* round;
        idle.unsafeOpen();
      }),
    );

    const offerStatus = (to: string, message: unknown) => {
      if (closed) return "closed" as const;
      const r = cells.offer(to, message, now());
      if (r === "ok") kick();
      return r;
    };

    const tell = (to: string, message: unknown): Effect.Effect<void, ActorUnavailable> =>
      Effect.suspend(() => {
        const r = offerStatus(to, message);
        if (r === "ok") return Effect.void;
        if (r === "full") {
          return Effect.async<void>((resume) => {
            cells.cells.get(to)?.waiters.push(() => resume(Effect.void));
          }).pipe(Effect.zipRight(tell(to, message)));
        }
        const reason = r === "unknown" ? "unknown kind" : r;
        return Effect.fail(new ActorUnavailable({ address: to, reason }));
      });

    const system: ActorSystem<K> = {
      now,
      spawn: (to, input) =>
        Effect.suspend((): Effect.Effect<void, ActorExists | ActorUnavailable> => {
          if (closed) return Effect.fail(new ActorUnavailable({ address: to, reason: "closed" }));
          if (cells.driverFor(to) === undefined) {
            return Effect.fail(new ActorUnavailable({ address: to, reason: "unknown kind" }));
          }
          if (!cells.spawn(to, input, now())) return Effect.fail(new ActorExists({ address: to }));
          kick();
          return Effect.void;
        }),
      tell: (to, message) => tell(to, message),
      ask: (to, message) =>
        Effect.async<Answer, ActorUnavailable>((resume) => {
          cells.asks.set(message, (answer) => resume(Effect.succeed(answer)));
          Effect.runFork(
            tell(to, message).pipe(
              Effect.catchAll((e) => {
                cells.asks.delete(message);
                return Effect.sync(() => resume(Effect.fail(e)));
              }),
            ),
          );
        }),
      recover: (kind) =>
        options.store.loadActive(kind).pipe(
          Effect.map((records) => {
            const t = now();
            let n = 0;
            for (const r of records) if (cells.recover(r, t)) n++;
            kick();
            return n;
          }),
        ),
      offer: (to, message) => offerStatus(to, message) === "ok",
      snapshot: (to) =>
        Effect.suspend(() => {
          const cell = cells.cells.get(to);
          if (cell !== undefined && cell.status !== "activating") {
            return Effect.succeed(cell.snapshot as never);
          }
          const driver = cells.driverFor(to);
          return options.store
            .load(to)
            .pipe(
              Effect.map((r) =>
                r === undefined || !driver ? undefined : (driver.restore(r.snapshot) as never),
              ),
            );
        }),
      // Timers already due count as work: fire them here rather than wait for the timer fiber.
      settled: Effect.suspend(() => {
        fireAllDue(now());
        if (cells.hasWork) kick();
        return cells.hasWork ? idle.await : Effect.void;
      }),
      busy: () => cells.hasWork,
      stats: () => ({
        live: cells.cells.size,
        processed: cells.processed,
        restarts: cells.restarts,
        deadLetters: cells.deadLetters,
        timers: cells.deadlines.armedCount,
      }),
    };
    return system;
  });
