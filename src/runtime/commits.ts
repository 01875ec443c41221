/**
 * The commits of the actor system's rounds, and the order their consequences follow.
 *
 * Each round's changes are one Batch (cells.ts): the records to commit (and what the owner
 * staged with them: `ActorSystemOptions.stage`), and the effects and answers that wait for them. A
 * batch is finished — its effects performed, its asks answered — only once its commit and
 * every earlier batch's commit have ended, so the world sees them in the order the rounds ran,
 * whatever order the commits end in.
 *
 * A batch's commit starts at once, without waiting for the commits in flight, when
 * - the store commits in call order (`SnapshotStore.ordered`: one writer, LMDB), up to two at
 *   once — enough to write one while the other flushes;
 * - or no commit in flight holds a record of the same actor (then their order does not matter
 *   to the store), up to four at once — for a store of several connections.
 * Otherwise it waits; the batches that waited share the next commit, each actor's latest
 * record in it (group commit: under load, fewer and larger transactions).
 *
 * A commit that fails (a full disk, a lost connection) finishes nothing: its effects are not
 * performed and its asks not answered (nothing is acknowledged), and no new commit starts.
 * Once every commit in flight has ended, one commit takes the latest record of each actor of
 * every unfinished batch — the failed ones, any later one (even if it committed: a record
 * written again is the same record) and those waiting — and is retried with backoff until the
 * store takes it, batches of later rounds joining it meanwhile. Then they all finish, in order.
 * The live actors are never rolled back: their state is ahead of the store only while nothing
 * of it has left, and it reaches the store as soon as the store answers again.
 */
import { Deferred, Effect, Exit, FiberId, type Fiber } from "effect";
import type { StoreError } from "../persistence/errors.ts";
import type { SnapshotRecord, SnapshotStore } from "./snapshot-store.ts";
import type { Batch } from "./cells.ts";

export interface Commits {
  readonly submit: (batch: Batch) => void;
  /** Batches not yet finished. */
  readonly pending: () => number;
  /** Opens whenever a commit ends: `finishEnded` has something to do. */
  readonly ended: Effect.Latch;
  /**
   * Finishes, oldest first, the batches whose commits (and every earlier one) have ended, then
   * starts the waiting ones if they may; after a failure, starts the retry once it may.
   */
  readonly finishEnded: Effect.Effect<void>;
  /** Waits until the oldest commit in flight has ended (at once when there is none). */
  readonly oldestEnded: Effect.Effect<void>;
}

/** What one commit writes: records, and what was staged with them. */
interface Writes {
  readonly records: ReadonlyArray<SnapshotRecord>;
  readonly staged: ReadonlyArray<unknown>;
}

/** One commit: what it writes, its exit once it ended, and a way to wait for that. */
interface Slot extends Writes {
  exit: Exit.Exit<void, StoreError> | undefined;
  readonly done: Deferred.Deferred<void>;
}

export const makeCommits = <Staged>(
  store: SnapshotStore<Staged>,
  /** Runs a commit in a fiber of its own, with the system's services (its Clock, in tests). */
  fork: (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void>,
  /** What finishing a batch means: the system performs its effects and answers its asks. */
  finish: (batch: Batch) => void,
): Commits => {
  const ordered = store.ordered === true;
  const maxCommits = ordered ? 2 : 4;
  const inFlight: Array<{ readonly batch: Batch; readonly slot: Slot }> = [];
  let waiting: Batch[] = [];
  let commits = 0;
  /** Actors with a record in a commit in flight, and in how many (stores not ordered). */
  const held = new Map<string, number>();
  const ended = Effect.unsafeMakeLatch(false);

  /** Failed commits in a row: the retry's backoff (10 ms doubling, 2 s at most). */
  let failures = 0;
  const backoff = () => Math.min(2000, 10 * 2 ** (failures - 1));

  const commit = ({ records, staged }: Writes, delayMs: number) =>
    records.length === 0 && staged.length === 0
      ? Effect.void
      : Effect.zipRight(
          delayMs > 0 ? Effect.sleep(delayMs) : Effect.void,
          staged.length === 0
            ? store.saveBatch(records)
            : store.saveBatch(records, staged as ReadonlyArray<Staged>),
        );

  const hold = (records: ReadonlyArray<SnapshotRecord>, by: 1 | -1) => {
    if (ordered) return;
    for (const r of records) {
      const n = (held.get(r.address) ?? 0) + by;
      if (n === 0) held.delete(r.address);
      else held.set(r.address, n);
    }
  };

  const canStart = (records: ReadonlyArray<SnapshotRecord>) =>
    failures === 0 &&
    commits < maxCommits &&
    (ordered || !records.some((r) => held.has(r.address)));

  const start = (writes: Writes, delayMs = 0): Slot => {
    const { records, staged } = writes;
    const slot: Slot = {
      records,
      staged,
      exit: undefined,
      done: Deferred.unsafeMake(FiberId.none),
    };
    commits++;
    hold(writes.records, 1);
    fork(
      Effect.exit(commit(writes, delayMs)).pipe(
        Effect.flatMap((exit) => {
          slot.exit = exit;
          ended.unsafeOpen();
          return Deferred.succeed(slot.done, undefined);
        }),
      ),
    );
    return slot;
  };

  /**
   * The writes of several batches in one commit: the latest record of each actor, and all they
   * staged (written again if an earlier commit wrote it: the port says a store finds it then).
   */
  const merged = (batches: ReadonlyArray<Batch>): Writes => {
    const latest = new Map<string, SnapshotRecord>();
    for (const b of batches) for (const r of b.records) latest.set(r.address, r);
    return { records: [...latest.values()], staged: batches.flatMap((b) => b.staged) };
  };

  /**
   * The oldest commit failed and none is in flight any more: every unfinished batch goes into
   * one commit, started after the backoff.
   */
  const retryAll = () => {
    failures++;
    const batches = [...inFlight.map((e) => e.batch), ...waiting];
    inFlight.length = 0;
    waiting = [];
    commits = 0;
    held.clear();
    const slot = start(merged(batches), backoff());
    for (const batch of batches) inFlight.push({ batch, slot });
  };

  return {
    submit: (batch) => {
      if (waiting.length === 0 && canStart(batch.records)) {
        inFlight.push({ batch, slot: start(batch) });
      } else waiting.push(batch);
    },
    pending: () => inFlight.length + waiting.length,
    ended,
    finishEnded: Effect.suspend(() => {
      while (inFlight.length > 0 && inFlight[0]!.slot.exit !== undefined) {
        if (Exit.isFailure(inFlight[0]!.slot.exit!)) {
          if (inFlight.every((e) => e.slot.exit !== undefined)) retryAll();
          return Effect.void;
        }
        failures = 0;
        const { batch, slot } = inFlight.shift()!;
        // The last batch of its commit: the commit is over.
        if (inFlight[0]?.slot !== slot) {
          commits--;
          hold(slot.records, -1);
        }
        finish(batch);
      }
      if (waiting.length > 0) {
        const writes = merged(waiting);
        if (canStart(writes.records)) {
          const group = waiting;
          waiting = [];
          const slot = start(writes);
          for (const batch of group) inFlight.push({ batch, slot });
        }
      }
      return Effect.void;
    }),
    oldestEnded: Effect.suspend(() => {
      const oldest = inFlight[0];
      return oldest === undefined ? Effect.void : Deferred.await(oldest.slot.done);
    }),
  };
};
