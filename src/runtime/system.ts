/**
 * The actor system: live actors addressed by `kind/id`, driven by their XState machines,
 * persisted through a SnapshotStore, supervised, timed by Effect's Clock.
 *
 * Three fibers own everything, for the life of the system's Scope:
 * - the dispatcher: load the actors that were asked for, run a round of every mailbox with
 *   mail, and hand the changed snapshots to a commit (one `saveBatch` for the round: group
 *   commit). It does not wait for that commit: the next round runs while it is in flight, so a
 *   message never waits for another actor's commit to be taken;
 * - the finisher: once a round's commit is done, and every earlier one, performs the round's
 *   effects, answers its asks and passivates the actors that finished. Nothing leaves an actor
 *   before the state that caused it is durable;
 * - the timer: sleeps on the Clock until the earliest deadline, then delivers `tick`s (and
 *   restarts after backoff). Under TestClock nothing sleeps for real.
 * Closing the Scope stops new messages, runs rounds and finishes commits until every mailbox
 * is empty and every snapshot committed, then ends the fibers.
 */
import { Data, Effect, Either, Fiber, Runtime, Schedule, type Scope } from "effect";
import { corrupt } from "../persistence/quarantine.ts";
import type { StoreError } from "../persistence/errors.ts";
import type { SnapshotRecord, SnapshotStore } from "./snapshot-store.ts";
import type { Address } from "./address.ts";
import {
  makeDriver,
  versionRefusal,
  type AnyBehaviour,
  type EffectOf,
  type InputOf,
  type MessageOf,
  type SnapshotOf,
} from "./behaviour.ts";
import { Cells, fireDue, type Answer, type Prepared } from "./cells.ts";
import { makeCommits } from "./commits.ts";

export type { Answer, Prepared } from "./cells.ts";
import { defaultSupervision, type SupervisionPolicy } from "./supervision.ts";
import type { VirtualCodec } from "./virtual.ts";

export class ActorExists extends Data.TaggedError("ActorExists")<{ readonly address: string }> {}
export class ActorUnavailable extends Data.TaggedError("ActorUnavailable")<{
  readonly address: string;
  readonly reason: "stopped" | "closed" | "unknown kind";
}> {}

type Kinds = Record<string, AnyBehaviour>;
type KindEffect<K extends Kinds> = { [k in keyof K]: EffectOf<K[k]> }[keyof K];

export interface ActorSystemOptions<K extends Kinds, Staged = never> {
  readonly behaviours: K;
  readonly store: SnapshotStore<Staged>;
  /** Every effect an actor emitted, called after the snapshot that emitted it is committed. */
  readonly onEffect?: (from: string, effect: KindEffect<K>) => void;
  /** After the effects of one commit (or of one round's eager ticks) were handed to `onEffect`. */
  readonly onEffectsDone?: () => void;
  /**
   * Messages an effect sends to other actors of this system, delivered in the round that
   * caused it (before its commit) when the receiver is live: `deliver` returns false when it
   * is not, and the owner then sends the message after the commit as usual. The receiver's
   * change commits in the same batch as its cause, so no state is durable without the state
   * that caused it, and a chain of actors moves on in one commit instead of one each (a job's
   * result, the pipeline run it ends a step of, that run's next jobs).
   */
  readonly relay?: (
    from: string,
    effect: KindEffect<K>,
    deliver: (to: string, message: unknown) => boolean,
  ) => void;
  /**
   * What a round's effects need written in the round's own commit, with the records that
   * caused them (Hodei: a pipeline step's job, with the run's state that started it): called
   * once the round's records are taken, before its commit starts, and handed to the store's
   * `saveBatch` as it is. Only with a store that `stages`.
   */
  readonly stage?: (
    effects: ReadonlyArray<readonly [string, KindEffect<K>]>,
  ) => ReadonlyArray<Staged>;
  readonly onDeadLetter?: (address: string, message: unknown, reason: string) => void;
  readonly onEscalate?: (address: string, cause: unknown) => void;
  /** A stored record this build cannot run: it stays in the store, its actor does not start. */
  readonly onUnreadable?: (address: string, reason: string) => void;
  readonly mailboxCapacity?: number;
  readonly supervision?: SupervisionPolicy;
  /**
   * How a kind keeps its virtual actors (spawned `durable`, waiting for their first message)
   * smaller than their input: see virtual.ts.
   */
  readonly virtualCodecs?: { readonly [k in keyof K]?: VirtualCodec };
  /** Live actors with no message for this long are passivated; `null` keeps them. */
  readonly passivateIdleAfterMs?: number | null;
}

export interface ActorSystem<K extends Kinds> {
  /** The system clock's time, epoch ms: what every message's `at` is stamped with. */
  readonly now: () => number;
  /**
   * Creates an actor. Its initial snapshot is committed before its initial effects are
   * performed, unless `durable`: the caller has already committed a record from which recovery
   * re-creates exactly this initial state (a job's row), so the effects are performed at once
   * and the snapshot reaches the store with the actor's first change. Such an actor is virtual
   * until that first message (a queued job): only its input in memory, no cell nor snapshot.
   */
  readonly spawn: <T extends keyof K & string>(
    to: Address<T>,
    input: InputOf<K[T]>,
    durable?: boolean,
  ) => Effect.Effect<void, ActorExists | ActorUnavailable>;
  /** `spawn` without an Effect, for a loop over many (recovery): what became of it. */
  readonly spawnNow: <T extends keyof K & string>(
    to: Address<T>,
    input: InputOf<K[T]>,
    durable?: boolean,
  ) => "ok" | "exists" | "closed" | "unknown kind";
  /**
   * Works out a new actor — its machine run from `input` through `messages` — without
   * creating it, for a creator that commits `record` with a record of its own in one
   * transaction, then calls `adopt`. Nothing is performed; a machine's defect is thrown.
   */
  readonly prepare: <T extends keyof K & string>(
    to: Address<T>,
    input: InputOf<K[T]>,
    messages: ReadonlyArray<MessageOf<K[T]>>,
  ) => Prepared;
  /**
   * Makes a prepared actor live once its record is durable, its timer armed. It performs none
   * of the prepared effects: the creator knows which still apply (`initialEffects` announce a
   * state the actor has already left).
   */
  readonly adopt: (prepared: Prepared) => Effect.Effect<void, ActorExists | ActorUnavailable>;
  /** `adopt` without an Effect (a single submit's path): what became of it. */
  readonly adoptNow: (prepared: Prepared) => "ok" | "exists" | "closed";
  /**
   * An actor whose record is durable, left in the store with only its timer armed: no cell,
   * no snapshot in memory. When `deadline` passes (or a message comes) it is loaded like a
   * passivated actor. For actors that wait long and many (a delayed job): one timer entry each.
   */
  readonly park: (address: string, deadline: number) => void;
  /** The armed deadline of an actor, live or parked; undefined when none is. */
  readonly timerOf: (address: string) => number | undefined;
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
  /**
   * `ask` without an Effect, for the hot path (an agent's reports): `reply` is called once,
   * after the commit of the round that took the message, from the system's own fiber. An
   * actor that is unavailable answers `dead` (at once); a full mailbox is waited out.
   */
  readonly askNow: <T extends keyof K & string>(
    to: Address<T>,
    message: MessageOf<K[T]>,
    reply: (answer: Answer) => void,
  ) => void;
  /** Synchronous fast path: false when the mailbox is full (then use `tell`) or unavailable. */
  readonly offer: <T extends keyof K & string>(to: Address<T>, message: MessageOf<K[T]>) => boolean;
  /**
   * For synchronous callers that must not lose the message: `offer`, and when the mailbox is
   * full, a fiber that `tell`s it (a message to an unavailable actor is dropped either way).
   */
  readonly send: <T extends keyof K & string>(to: Address<T>, message: MessageOf<K[T]>) => void;
  /**
   * Synchronously, the snapshot of a live actor; `undefined` for one that is virtual, in the
   * store only, or unknown. (Recovery asks it of every row it reads: a miss costs one lookup.)
   */
  readonly peek: (to: string) => unknown;
  /** The live snapshot, or the committed one for a passivated actor. */
  readonly snapshot: <T extends keyof K & string>(
    to: Address<T>,
  ) => Effect.Effect<SnapshotOf<K[T]> | undefined, StoreError>;
  /**
   * Re-creates every unfinished actor of `kind` from the store, timers re-armed: what a
   * supervisor does at start. Each takes `first(now)` before anything else, before a deadline
   * that passed while the process was down. Returns how many were recovered.
   */
  readonly recover: <T extends keyof K & string>(
    kind: T,
    first?: (now: number) => MessageOf<K[T]>,
    /** Records to leave in the store, only their timer armed (see `park`). */
    parked?: (record: SnapshotRecord) => boolean,
  ) => Effect.Effect<number, StoreError>;
  /** True while mailboxes, loads or commits are pending. */
  readonly busy: () => boolean;
  /** Waits until every mailbox is empty and every change committed. */
  readonly settled: Effect.Effect<void>;
  readonly stats: () => {
    readonly live: number;
    /** Actors kept as their input only, until their first message (see `spawn`). */
    readonly virtual: number;
    readonly processed: number;
    readonly restarts: number;
    readonly deadLetters: number;
    readonly timers: number;
  };
}

const loadRetry = Schedule.exponential("10 millis").pipe(
  Schedule.union(Schedule.spaced("2 seconds")),
);

export const makeActorSystem = <K extends Kinds, Staged = never>(
  options: ActorSystemOptions<K, Staged>,
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
        unreadable: options.onUnreadable ?? (() => {}),
      },
      new Map(
        Object.entries(options.virtualCodecs ?? {}).filter(
          (e): e is [string, VirtualCodec] => e[1] !== undefined,
        ),
      ),
    );
    cells.relay = options.relay as Cells["relay"];
    const work = Effect.unsafeMakeLatch(false);
    const timerChanged = Effect.unsafeMakeLatch(false);
    const idle = Effect.unsafeMakeLatch(true);
    let closed = false;
    let earliest: number | null = null;

    const busy = () => cells.hasWork || commits.pending() > 0;
    const stage =
      options.store.stages === true
        ? (options.stage as
            | ((effects: ReadonlyArray<readonly [string, unknown]>) => ReadonlyArray<Staged>)
            | undefined)
        : undefined;
    const timerCheck = () => {
      const next = cells.deadlines.peek();
      if (next !== null && (earliest === null || next < earliest)) timerChanged.unsafeOpen();
    };
    const kick = () => {
      idle.unsafeClose();
      work.unsafeOpen();
      timerCheck();
    };

    /** Hands the actors' effects to the system's owner, in order. */
    const perform = (effects: ReadonlyArray<readonly [string, unknown]>) => {
      if (options.onEffect)
        for (const [from, e] of effects) options.onEffect(from, e as KindEffect<K>);
      if (effects.length > 0) options.onEffectsDone?.();
    };

    const commits = makeCommits(
      options.store,
      Runtime.runFork(yield* Effect.runtime<never>()),
      (batch) => {
        cells.committed(batch);
        perform(batch.effects);
        for (const [reply, answer] of batch.answers) {
          // A caller's callback that throws must not keep the later answers from going out.
          try {
            reply(answer);
          } catch (e) {
            queueMicrotask(() => {
              throw e;
            });
          }
        }
      },
    );

    const finisher = Effect.gen(function* () {
      for (;;) {
        yield* commits.ended.await;
        commits.ended.unsafeClose();
        yield* commits.finishEnded;
        if (cells.hasWork) kick();
        else settle();
      }
    });

    /** Nothing to run and nothing in flight: `settled` may return. */
    const settle = () => {
      if (!busy()) idle.unsafeOpen();
    };

    /** A load that failed, tried again until the store answers (its health says it fails). */
    const reload = (address: string) =>
      options.store.load(address).pipe(
        Effect.retry(loadRetry),
        Effect.orDie, // never: the schedule has no end
      );

    const round = Effect.gen(function* () {
      const loading = cells.activating;
      cells.activating = [];
      for (const cell of loading) {
        const record = yield* Effect.catchAll(options.store.load(cell.address), () =>
          reload(cell.address),
        );
        cells.activated(cell, record, now());
      }
      cells.round(now());
      const batch = cells.takeBatch();
      if (batch !== undefined) {
        if (stage !== undefined && batch.effects.length > 0) {
          const staged = Either.try(() => stage(batch.effects));
          if (Either.isRight(staged)) batch.staged = staged.right;
          // Nothing staged: the owner writes it after the commit, as without `stage`.
          else yield* Effect.logError("staging for a commit failed", staged.left);
        }
        commits.submit(batch);
      }
      perform(cells.takeEager());
    }).pipe(Effect.uninterruptible);

    /**
     * The end of this event-loop turn: a round waits for it, so that the messages of one turn
     * (a frame of reports, the answers of many agents, a burst of submits) are stepped in one
     * round and committed in one transaction, not one round and one commit each.
     */
    const endOfTurn = Effect.async<void>((resume) => {
      const handle = setImmediate(() => resume(Effect.void));
      return Effect.sync(() => clearImmediate(handle));
    });

    const dispatcher = Effect.gen(function* () {
      for (;;) {
        yield* work.await;
        yield* endOfTurn;
        work.unsafeClose();
        yield* round;
        timerCheck();
        if (cells.hasWork) work.unsafeOpen();
        else settle();
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
          // A wait of a millisecond is not worth a race (two fibers) against an earlier
          // deadline: dense deadlines (a delayed job every millisecond) wake the timer each one.
          if (wait > 1) yield* Effect.race(Effect.sleep(wait), timerChanged.await);
          else if (wait > 0) yield* Effect.sleep(wait);
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
    const finisherFiber = yield* Effect.forkDaemon(finisher);
    const timerFiber = yield* Effect.forkDaemon(timer);

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closed = true;
        yield* Fiber.interrupt(timerFiber);
        yield* Fiber.interrupt(dispatcherFiber);
        yield* Fiber.interrupt(finisherFiber);
        cells.saveVolatile();
        // What the last rounds committed is performed, and may give other actors work.
        for (;;) {
          while (cells.hasWork) yield* round;
          if (commits.pending() === 0) break;
          yield* commits.oldestEnded;
          yield* commits.finishEnded;
        }
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

    const spawnNow = (
      to: string,
      input: unknown,
      durable = false,
    ): "ok" | "exists" | "closed" | "unknown kind" => {
      if (closed) return "closed";
      if (cells.driverFor(to) === undefined) return "unknown kind";
      const effects = cells.spawn(to, input, now(), durable);
      if (effects === undefined) return "exists";
      if (options.onEffect) for (const e of effects) options.onEffect(to, e as never);
      if (cells.hasWork) kick();
      else timerCheck();
      return "ok";
    };

    const adoptNow = (prepared: Prepared): "ok" | "exists" | "closed" => {
      if (closed) return "closed";
      if (!cells.adopt(prepared, now())) return "exists";
      timerCheck();
      return "ok";
    };

    const system: ActorSystem<K> = {
      now,
      spawn: (to, input, durable = false) =>
        Effect.suspend((): Effect.Effect<void, ActorExists | ActorUnavailable> => {
          const r = spawnNow(to, input, durable);
          if (r === "ok") return Effect.void;
          if (r === "exists") return Effect.fail(new ActorExists({ address: to }));
          return Effect.fail(new ActorUnavailable({ address: to, reason: r }));
        }),
      spawnNow,
      prepare: (to, input, messages) => cells.prepare(to, input, messages),
      adopt: (prepared) =>
        Effect.suspend((): Effect.Effect<void, ActorExists | ActorUnavailable> => {
          const to = prepared.address;
          const r = adoptNow(prepared);
          if (r === "ok") return Effect.void;
          if (r === "exists") return Effect.fail(new ActorExists({ address: to }));
          return Effect.fail(new ActorUnavailable({ address: to, reason: r }));
        }),
      adoptNow,
      park: (address, deadline) => {
        if (closed || cells.cells.has(address) || cells.virtual.has(address)) return;
        cells.deadlines.arm(address, deadline);
        timerCheck();
      },
      timerOf: (address) => cells.deadlines.armedAt(address),
      tell: (to, message) => tell(to, message),
      ask: (to, message) =>
        Effect.async<Answer, ActorUnavailable>((resume) => {
          cells.asks.set(message, (answer) => resume(Effect.succeed(answer)));
          // The common case needs no fiber of its own: the mailbox has room.
          const r = offerStatus(to, message);
          if (r === "ok") return;
          if (r !== "full") {
            cells.asks.delete(message);
            const reason = r === "unknown" ? "unknown kind" : r;
            return resume(Effect.fail(new ActorUnavailable({ address: to, reason })));
          }
          Effect.runFork(
            tell(to, message).pipe(
              Effect.catchAll((e) => {
                cells.asks.delete(message);
                return Effect.sync(() => resume(Effect.fail(e)));
              }),
            ),
          );
        }),
      askNow: (to, message, reply) => {
        cells.asks.set(message, reply);
        const r = offerStatus(to, message);
        if (r === "ok") return;
        if (r !== "full") {
          cells.asks.delete(message);
          return reply({ _tag: "dead", reason: r === "unknown" ? "unknown kind" : r });
        }
        Effect.runFork(
          tell(to, message).pipe(
            Effect.catchAll((e) =>
              Effect.sync(() => {
                cells.asks.delete(message);
                reply({ _tag: "dead", reason: e.reason });
              }),
            ),
          ),
        );
      },
      recover: (kind, first, parked) =>
        options.store.loadActive(kind).pipe(
          Effect.map((records) => {
            const t = now();
            const message = first?.(t);
            let n = 0;
            for (const r of records) {
              if (parked?.(r) === true && r.deadline !== null && !cells.cells.has(r.address)) {
                cells.deadlines.arm(r.address, r.deadline);
                n++;
              } else if (cells.recover(r, t, message)) n++;
            }
            kick();
            return n;
          }),
        ),
      offer: (to, message) => offerStatus(to, message) === "ok",
      send: (to, message) => {
        if (offerStatus(to, message) !== "ok") Effect.runFork(Effect.ignore(tell(to, message)));
      },
      peek: (to) => {
        const cell = cells.cells.get(to);
        return cell === undefined || cell.status === "activating" ? undefined : cell.snapshot;
      },
      snapshot: (to) =>
        Effect.suspend(() => {
          const cell = cells.cells.get(to);
          if (cell !== undefined && cell.status !== "activating") {
            return Effect.succeed(cell.snapshot as never);
          }
          if (cells.virtual.has(to)) return Effect.succeed(cells.virtualSnapshot(to) as never);
          const driver = cells.driverFor(to);
          return options.store.load(to).pipe(
            Effect.flatMap((r) => {
              if (r === undefined || !driver) return Effect.succeed(undefined);
              const why = versionRefusal(driver.behaviour, r.version);
              if (why !== undefined) {
                return Effect.fail(corrupt("snapshots.load", "snapshot", to, why));
              }
              return Effect.try({
                try: () => driver.restore(r.snapshot) as never,
                catch: (e) =>
                  corrupt(
                    "snapshots.load",
                    "snapshot",
                    to,
                    `its snapshot cannot be restored: ${e instanceof Error ? e.message : String(e)}`,
                  ),
              });
            }),
          );
        }),
      // Timers already due count as work: fire them here rather than wait for the timer fiber.
      settled: Effect.suspend(() => {
        fireAllDue(now());
        if (cells.hasWork) kick();
        return busy() ? idle.await : Effect.void;
      }),
      busy: () => busy(),
      stats: () => ({
        live: cells.cells.size,
        virtual: cells.virtual.size,
        processed: cells.processed,
        restarts: cells.restarts,
        deadLetters: cells.deadLetters,
        timers: cells.deadlines.armedCount,
      }),
    };
    return system;
  });
