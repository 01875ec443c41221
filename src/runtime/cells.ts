/**
 * The synchronous heart of the actor system: one Cell per live actor, and the rounds that
 * drive them. No I/O and no Effect here; `system.ts` wraps it with the fibers that load,
 * commit and keep time.
 *
 * A round takes every cell with mail, runs its messages through its machine, and leaves
 * behind (a) the cells whose snapshot changed, for one commit, and (b) the effects the
 * machines emitted, which are performed only after that commit: nothing leaves an actor before
 * the state that caused it is durable (but for a tick out of an `eagerTicksIn` state, whose
 * effects follow from a durable state and the clock: `takeEager`). `takeBatch` packs them up;
 * the next rounds may run while that commit is in flight.
 *
 * Cell status:
 * - `activating`: not in memory; its snapshot is being loaded, messages wait in its mailbox.
 * - `active`: in memory, taking messages.
 * - `restarting`: its machine threw; it waits for its backoff, then restarts from its last
 *   committed snapshot.
 * - `stopped`: escalated after too many restarts; it takes nothing more.
 */
import type { PersistedSnapshot, SnapshotRecord } from "./snapshot-store.ts";
import { versionRefusal, type AnyBehaviour, type Driver } from "./behaviour.ts";
import { Deadlines } from "./deadlines.ts";
import { Mailbox } from "./mailbox.ts";
import { decideRestart, type SupervisionPolicy } from "./supervision.ts";
import { VirtualActors, type VirtualCodec } from "./virtual.ts";

export interface Cell {
  readonly address: string;
  readonly driver: Driver<AnyBehaviour>;
  readonly mailbox: Mailbox<unknown>;
  status: "activating" | "active" | "restarting" | "stopped";
  snapshot: unknown;
  /** The snapshot as last handed to a commit (done or in flight): what a restart goes back to. */
  committed: PersistedSnapshot | undefined;
  /** The snapshot this cell started from when nothing of it is committed yet. */
  initial: unknown;
  deadline: number | null;
  restartAt: number;
  failures: ReadonlyArray<number>;
  queued: boolean;
  dirty: boolean;
  /** Batches holding a record of this cell whose commit has not finished. */
  inFlight: number;
  /**
   * The live snapshot is newer than the store's and no commit is pending for it: changed by
   * volatile messages, or spawned from a state its creator made durable. Committed before the
   * actor is passivated, so passivation never loses it, and at a graceful stop (`saveVolatile`).
   */
  unsaved: boolean;
  lastActive: number;
  waiters: Array<() => void>;
}

/** What an `ask` learns: the effects its message caused, or why it was not taken. */
export type Answer =
  | { readonly _tag: "taken"; readonly effects: ReadonlyArray<unknown> }
  | { readonly _tag: "dead"; readonly reason: string };

/**
 * An actor worked out before it exists (`Cells.prepare`): its first steps run, its record ready
 * for the creator to commit with a record of its own in one transaction; `Cells.adopt` then
 * makes it live. `initialEffects` announce the state it was born in, `effects` the steps after.
 */
export interface Prepared {
  readonly address: string;
  readonly snapshot: unknown;
  readonly record: SnapshotRecord;
  readonly initialEffects: ReadonlyArray<unknown>;
  readonly effects: ReadonlyArray<unknown>;
}

/** One commit's worth: the records, and what waits for them to be durable. */
export interface Batch {
  readonly cells: ReadonlyArray<Cell>;
  readonly records: ReadonlyArray<SnapshotRecord>;
  /** What the owner stages in the same commit (the system's `stage`); opaque here. */
  staged: ReadonlyArray<unknown>;
  readonly effects: ReadonlyArray<readonly [string, unknown]>;
  readonly answers: ReadonlyArray<readonly [(answer: Answer) => void, Answer]>;
}

export interface Hooks {
  readonly deadLetter: (address: string, message: unknown, reason: string) => void;
  readonly escalate: (address: string, cause: unknown) => void;
  /** A stored record this build cannot run (another version, or one it cannot restore). */
  readonly unreadable: (address: string, reason: string) => void;
}

export class Cells {
  readonly cells = new Map<string, Cell>();
  /**
   * Virtual actors: in the store as their creator's durable record, in memory only as the input
   * their initial state is made from — no cell, no snapshot. The first message makes one live
   * (`materialize`); until then an actor costs this entry. See `spawn`.
   */
  readonly virtual: VirtualActors;
  readonly deadlines = new Deadlines();
  private ready: Cell[] = [];
  private dirty: Cell[] = [];
  activating: Cell[] = [];
  effects: Array<readonly [string, unknown]> = [];
  /** Effects of ticks out of durable `eagerTicksIn` states: performed at once (`takeEager`). */
  eager: Array<readonly [string, unknown]> = [];
  /** The ticks the runtime delivers (its timer's messages), told apart from any other mail. */
  private readonly ticks = new WeakSet<object>();
  /** Asks waiting for their message: answered after the commit of the round that took it. */
  readonly asks = new Map<unknown, (answer: Answer) => void>();
  answers: Array<readonly [(answer: Answer) => void, Answer]> = [];
  processed = 0;
  restarts = 0;
  deadLetters = 0;

  constructor(
    private readonly drivers: ReadonlyMap<string, Driver<AnyBehaviour>>,
    private readonly mailboxCapacity: number,
    private readonly supervision: SupervisionPolicy,
    private readonly hooks: Hooks,
    codecs?: ReadonlyMap<string, VirtualCodec>,
  ) {
    this.virtual = new VirtualActors(codecs);
  }

  /** Mail to run, actors to load, or changes not yet in a batch. */
  get hasWork(): boolean {
    return (
      this.ready.length > 0 ||
      this.activating.length > 0 ||
      this.dirty.length > 0 ||
      this.effects.length > 0 ||
      this.eager.length > 0 ||
      this.answers.length > 0
    );
  }

  driverFor(address: string): Driver<AnyBehaviour> | undefined {
    return this.drivers.get(address.slice(0, address.indexOf("/")));
  }

  private newCell(address: string, driver: Driver<AnyBehaviour>, now: number): Cell {
    const cell: Cell = {
      address,
      driver,
      mailbox: new Mailbox(this.mailboxCapacity),
      status: "active",
      snapshot: undefined,
      committed: undefined,
      initial: undefined,
      deadline: null,
      restartAt: 0,
      failures: [],
      queued: false,
      dirty: false,
      inFlight: 0,
      unsaved: false,
      lastActive: now,
      waiters: [],
    };
    this.cells.set(address, cell);
    return cell;
  }

  /**
   * A new actor from `input`. Its initial snapshot is committed with the next round, and its
   * initial effects performed after that, unless `durable`: then its creator has already made
   * a record durable from which recovery re-creates this very initial state (a job's row), so
   * there is nothing to commit first and the effects are returned, for the caller to perform
   * now. Such an actor stays virtual — its input kept, no cell — until its first message,
   * unless its initial state has a timer. `undefined` when the address is taken.
   */
  spawn(
    address: string,
    input: unknown,
    now: number,
    durable = false,
  ): ReadonlyArray<unknown> | undefined {
    const driver = this.driverFor(address);
    if (driver === undefined) throw new Error(`no behaviour for the address ${address}`);
    // A finished actor still in memory (its last commit in flight) gives its address up: a
    // worker that went offline can register again under its id. A live one never does.
    const existing = this.cells.get(address);
    if (
      this.virtual.hasFor(address, input) ||
      (existing !== undefined &&
        !(existing.status === "active" && driver.isDone(existing.snapshot as never)))
    )
      return undefined;
    const step = driver.initial(input as never);
    if (!durable) {
      const cell = this.newCell(address, driver, now);
      cell.initial = step.snapshot;
      this.applied(cell, step.snapshot, step.effects);
      return [];
    }
    const deadline = driver.deadline(step.snapshot as never);
    if (deadline === null && !driver.isDone(step.snapshot as never)) {
      if (existing !== undefined) this.cells.delete(address);
      this.virtual.set(address, input);
      return step.effects;
    }
    const cell = this.newCell(address, driver, now);
    this.live(cell, step.snapshot, deadline);
    return step.effects;
  }

  /** A cell for a durable initial state (not committed by this system: `unsaved`). */
  private live(cell: Cell, snapshot: unknown, deadline: number | null): void {
    cell.initial = snapshot;
    cell.snapshot = snapshot;
    cell.unsaved = true;
    this.track(cell, deadline);
  }

  /** A virtual actor made live for its first message, from its input. */
  private materialize(address: string, driver: Driver<AnyBehaviour>, input: unknown, now: number) {
    const cell = this.newCell(address, driver, now);
    const snapshot = driver.initial(input as never).snapshot;
    this.live(cell, snapshot, driver.deadline(snapshot as never));
    return cell;
  }

  /** The initial snapshot of a virtual actor, without making it live. */
  virtualSnapshot(address: string): unknown {
    const input = this.virtual.input(address);
    if (input === undefined) return undefined;
    return this.driverFor(address)?.initial(input as never).snapshot;
  }

  /**
   * Runs a new actor's machine from `input` through `messages`, without creating it: for a
   * creator that commits the result itself (a job placed as it is created: its row and its
   * `scheduled` snapshot in one transaction). Throws what the machine throws.
   */
  prepare(address: string, input: unknown, messages: ReadonlyArray<unknown>): Prepared {
    const driver = this.driverFor(address);
    if (driver === undefined) throw new Error(`no behaviour for the address ${address}`);
    const first = driver.initial(input as never);
    let snapshot = first.snapshot;
    const effects: unknown[] = [];
    for (const m of messages) {
      const step = driver.step(snapshot as never, m as never);
      snapshot = step.snapshot;
      effects.push(...step.effects);
    }
    const record: SnapshotRecord = {
      address,
      kind: driver.behaviour.kind,
      version: driver.behaviour.version,
      snapshot: driver.persist(snapshot as never),
      deadline: driver.deadline(snapshot as never),
      done: driver.isDone(snapshot as never),
    };
    return { address, snapshot, record, initialEffects: first.effects, effects };
  }

  /** A prepared actor whose record is now durable, live; false when the address is taken. */
  adopt(prepared: Prepared, now: number): boolean {
    const driver = this.driverFor(prepared.address);
    // A finished actor still in memory gives its address up (a finished job run again).
    const existing = this.cells.get(prepared.address);
    const free =
      existing === undefined
        ? !this.virtual.has(prepared.address)
        : existing.status === "active" && driver?.isDone(existing.snapshot as never) === true;
    if (driver === undefined || !free) return false;
    const cell = this.newCell(prepared.address, driver, now);
    cell.snapshot = prepared.snapshot;
    cell.initial = prepared.snapshot;
    cell.committed = prepared.record.snapshot;
    this.track(cell, prepared.record.deadline);
    return true;
  }

  /** Enqueues without waiting: "full" means the sender must wait for room. */
  offer(address: string, message: unknown, now: number): "ok" | "full" | "stopped" | "unknown" {
    let cell = this.cells.get(address);
    if (cell === undefined) {
      const driver = this.driverFor(address);
      if (driver === undefined) return "unknown";
      const input = this.virtual.take(address);
      cell =
        input === undefined
          ? this.activate(address, driver, now)
          : this.materialize(address, driver, input, now);
    }
    if (cell.status === "stopped") return "stopped";
    if (!cell.mailbox.push(message)) return "full";
    this.schedule(cell);
    return "ok";
  }

  /** A cell for an actor that is not in memory: its snapshot must be loaded first. */
  activate(address: string, driver: Driver<AnyBehaviour>, now: number): Cell {
    const cell = this.newCell(address, driver, now);
    cell.status = "activating";
    this.activating.push(cell);
    return cell;
  }

  private schedule(cell: Cell): void {
    if (!cell.queued && cell.status === "active") {
      cell.queued = true;
      this.ready.push(cell);
    }
  }

  /**
   * Recovery: a live cell for a committed record, with its timer re-armed. A deadline that
   * passed while the process was down fires on the next timer turn, not "delay after restore",
   * after `first` if given (the supervisor's restart grace).
   */
  recover(record: SnapshotRecord, now: number, first?: unknown): boolean {
    if (this.cells.has(record.address) || this.virtual.has(record.address) || record.done)
      return false;
    const driver = this.driverFor(record.address);
    if (driver === undefined) return false;
    const cell = this.newCell(record.address, driver, now);
    cell.status = "activating";
    this.activated(cell, record, now);
    if (!this.cells.has(record.address)) return false;
    // Before a deadline that passed while the process was down: it may move that deadline.
    if (first !== undefined) cell.mailbox.unshift(first);
    return true;
  }

  /** A loaded record (or its absence) for a cell that was activating. */
  activated(cell: Cell, record: SnapshotRecord | undefined, now: number): void {
    let restored: unknown;
    let reason =
      record === undefined
        ? "no such actor"
        : versionRefusal(cell.driver.behaviour, record.version);
    if (record !== undefined && reason === undefined) {
      try {
        restored = cell.driver.restore(record.snapshot);
      } catch (e) {
        reason = `its snapshot cannot be restored: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (record === undefined || reason !== undefined) {
      if (record !== undefined) this.hooks.unreadable(cell.address, reason!);
      for (let m = cell.mailbox.shift(); m !== undefined; m = cell.mailbox.shift()) {
        this.dead(cell.address, m, reason!);
      }
      this.cells.delete(cell.address);
      this.wake(cell);
      return;
    }
    cell.status = "active";
    cell.committed = record.snapshot;
    cell.snapshot = restored;
    cell.initial = cell.snapshot;
    this.track(cell, cell.driver.deadline(cell.snapshot as never));
    if (cell.deadline !== null && cell.deadline <= now) {
      cell.mailbox.unshift(this.tick(cell, now));
    }
    this.schedule(cell);
  }

  /** The timer's message to `cell`: its behaviour's tick, remembered as one. */
  tick(cell: Cell, now: number): unknown {
    const message = cell.driver.behaviour.tick(now);
    if (cell.driver.behaviour.eagerTicksIn !== undefined) this.ticks.add(message as object);
    return message;
  }

  /** A tick out of a state whose timer's step may go out before its commit (`eagerTicksIn`). */
  private eagerTick(cell: Cell, message: unknown): boolean {
    return (
      !cell.dirty &&
      !cell.unsaved &&
      cell.inFlight === 0 &&
      this.ticks.has(message as object) &&
      inState(cell, cell.driver.behaviour.eagerTicksIn)
    );
  }

  /** The effects to perform now, not after a commit (see `eagerTicksIn`). */
  takeEager(): ReadonlyArray<readonly [string, unknown]> {
    const eager = this.eager;
    this.eager = [];
    return eager;
  }

  /**
   * Messages the effects of a round send to other actors of the system: `deliver` puts one in
   * a live actor's mailbox for this very round (false: not live, the caller sends it after the
   * commit). See `ActorSystemOptions.relay`.
   */
  relay:
    | ((from: string, effect: unknown, deliver: (to: string, message: unknown) => boolean) => void)
    | undefined;

  /** Runs every cell with mail through its machine: the synchronous part of a round. */
  round(now: number): void {
    const from = this.effects.length;
    this.pass(now);
    if (this.relay === undefined || this.effects.length === from) return;
    // One more pass for the actors that got a message relayed: their changes commit in the
    // same batch as the changes that caused them. What that pass causes waits for the next.
    const relay = this.relay;
    const deliver = (to: string, message: unknown): boolean => {
      const cell = this.cells.get(to);
      if (cell === undefined || cell.status !== "active" || !cell.mailbox.push(message)) {
        return false;
      }
      this.schedule(cell);
      return true;
    };
    const until = this.effects.length;
    for (let i = from; i < until; i++) relay(this.effects[i]![0], this.effects[i]![1], deliver);
    if (this.ready.length > 0) this.pass(now);
  }

  private pass(now: number): void {
    const ready = this.ready;
    this.ready = [];
    for (const cell of ready) {
      cell.queued = false;
      cell.lastActive = now;
      while (cell.status === "active") {
        const message = cell.mailbox.shift();
        if (message === undefined) break;
        this.deliver(cell, message, now);
      }
      this.wake(cell);
    }
  }

  private deliver(cell: Cell, message: unknown, now: number): void {
    if (cell.driver.isDone(cell.snapshot as never)) {
      this.dead(cell.address, message, "the actor has finished");
      return;
    }
    try {
      const eager = this.eagerTick(cell, message);
      const step = cell.driver.step(cell.snapshot as never, message as never);
      this.processed++;
      if (
        cell.driver.behaviour.volatile?.(message as never, step.effects as never) === true &&
        !cell.driver.isDone(step.snapshot as never)
      ) {
        // Kept in memory only (a heartbeat): no commit of its own; it reaches the store with
        // the next change that is committed, or before the actor is passivated. Its effects
        // (informational) go out after the commits already under way.
        cell.snapshot = step.snapshot;
        if (!cell.dirty) cell.unsaved = true;
        for (const e of step.effects) this.effects.push([cell.address, e]);
        this.track(cell, cell.driver.deadline(step.snapshot as never));
      } else if (step.snapshot !== cell.snapshot || step.effects.length > 0) {
        this.applied(cell, step.snapshot, step.effects, eager ? this.eager : this.effects);
      }
      if (this.asks.size > 0) {
        const reply = this.asks.get(message);
        if (reply !== undefined) {
          this.asks.delete(message);
          this.answers.push([reply, { _tag: "taken", effects: step.effects }]);
        }
      }
    } catch (cause) {
      this.failed(cell, message, cause, now);
    }
  }

  private applied(
    cell: Cell,
    snapshot: unknown,
    effects: ReadonlyArray<unknown>,
    into: Array<readonly [string, unknown]> = this.effects,
  ): void {
    cell.snapshot = snapshot;
    for (const e of effects) into.push([cell.address, e]);
    this.track(cell, cell.driver.deadline(snapshot as never));
    this.markDirty(cell);
  }

  private markDirty(cell: Cell): void {
    cell.unsaved = false;
    if (!cell.dirty) {
      cell.dirty = true;
      this.dirty.push(cell);
    }
  }

  private track(cell: Cell, deadline: number | null): void {
    this.deadlines.arm(cell.address, deadline);
    cell.deadline = deadline;
  }

  private failed(cell: Cell, message: unknown, cause: unknown, now: number): void {
    this.dead(cell.address, message, `the actor failed: ${String(cause)}`);
    const decision = decideRestart(this.supervision, cell.failures, now);
    cell.failures = decision.failures;
    if (decision._tag === "escalate") {
      cell.status = "stopped";
      for (let m = cell.mailbox.shift(); m !== undefined; m = cell.mailbox.shift()) {
        this.dead(cell.address, m, "the actor was stopped");
      }
      this.hooks.escalate(cell.address, cause);
      return;
    }
    cell.status = "restarting";
    cell.restartAt = decision.at;
    // The restart takes the timer's place; the restored snapshot re-arms its own deadline.
    this.deadlines.arm(cell.address, decision.at);
  }

  /** Restart cells whose backoff has passed, from their last committed snapshot. */
  restartDue(cell: Cell, now: number): void {
    if (cell.status !== "restarting" || cell.restartAt > now) return;
    this.restarts++;
    cell.status = "active";
    cell.snapshot =
      cell.committed !== undefined ? cell.driver.restore(cell.committed) : cell.initial;
    cell.deadline = null;
    this.track(cell, cell.driver.deadline(cell.snapshot as never));
    this.schedule(cell);
  }

  /**
   * Everything of the rounds since the last batch that must wait for one commit: the changed
   * cells' records, and the effects and answers they caused. The cells are clean again (a later
   * change makes them dirty for the next batch); `committed` says what the store then holds.
   */
  takeBatch(): Batch | undefined {
    if (this.dirty.length === 0 && this.effects.length === 0 && this.answers.length === 0) {
      return undefined;
    }
    const cells = this.dirty;
    this.dirty = [];
    const records = cells.map((cell): SnapshotRecord => {
      cell.dirty = false;
      cell.inFlight++;
      const snapshot = cell.driver.persist(cell.snapshot as never);
      // What a restart goes back to: it will be in the store unless the process dies first.
      cell.committed = snapshot;
      return {
        address: cell.address,
        kind: cell.driver.behaviour.kind,
        version: cell.driver.behaviour.version,
        snapshot,
        deadline: cell.deadline,
        done: cell.driver.isDone(cell.snapshot as never),
      };
    });
    const batch: Batch = {
      cells,
      records,
      staged: [],
      effects: this.effects,
      answers: this.answers,
    };
    this.effects = [];
    this.answers = [];
    return batch;
  }

  private rests(cell: Cell): boolean {
    return !cell.unsaved && inState(cell, cell.driver.behaviour.restsIn);
  }

  /**
   * After a batch's commit: passivate the actors it finished, or left resting (`restsIn`), that
   * have nothing more to do.
   */
  committed(batch: Batch): void {
    for (let i = 0; i < batch.cells.length; i++) {
      const cell = batch.cells[i]!;
      cell.inFlight--;
      const record = batch.records[i]!;
      if (
        (record.done || (record.deadline === null && this.rests(cell))) &&
        cell.inFlight === 0 &&
        !cell.dirty &&
        !cell.queued &&
        cell.mailbox.size === 0 &&
        this.cells.get(cell.address) === cell
      ) {
        this.cells.delete(cell.address);
      }
    }
  }

  private dead(address: string, message: unknown, reason: string): void {
    this.deadLetters++;
    this.hooks.deadLetter(address, message, reason);
    const reply = this.asks.get(message);
    if (reply !== undefined) {
      this.asks.delete(message);
      this.answers.push([reply, { _tag: "dead", reason }]);
    }
  }

  /**
   * Passivates live actors that have been idle since `before`; their timers stay armed. One
   * whose live snapshot is not in the store yet is committed now, and passivated next time.
   */
  /**
   * At a graceful stop: every change kept in memory only (volatile) goes into the next batch,
   * so the store is left as current as the actors. An actor unchanged since it was made from a
   * durable state (a row) has nothing to add.
   */
  saveVolatile(): void {
    for (const cell of this.cells.values()) {
      if (cell.status === "active" && cell.unsaved && cell.snapshot !== cell.initial) {
        this.markDirty(cell);
      }
    }
  }

  passivateIdle(before: number): number {
    let n = 0;
    for (const cell of this.cells.values()) {
      if (
        cell.status === "active" &&
        !cell.dirty &&
        cell.inFlight === 0 &&
        !cell.queued &&
        cell.mailbox.size === 0 &&
        cell.lastActive < before
      ) {
        if (cell.unsaved) this.markDirty(cell);
        else {
          this.cells.delete(cell.address);
          n++;
        }
      }
    }
    return n;
  }

  private wake(cell: Cell): void {
    if (cell.waiters.length === 0) return;
    const waiters = cell.waiters;
    cell.waiters = [];
    for (const w of waiters) w();
  }
}

/** The cell's live snapshot is in one of `states` (a flat machine's value is its state). */
const inState = (cell: Cell, states: ReadonlyArray<string> | undefined): boolean =>
  states !== undefined && states.includes((cell.snapshot as { value?: unknown }).value as string);

/** What the timer does for one due entry: a tick, a restart, or a load of a passivated actor. */
export const fireDue = (cells: Cells, address: string, at: number, now: number): void => {
  const cell = cells.cells.get(address);
  if (cell === undefined) {
    // Passivated with a timer armed: activation delivers the tick if it is still due.
    const driver = cells.driverFor(address);
    if (driver === undefined) return;
    cells.activate(address, driver, now);
    return;
  }
  if (cell.status === "restarting") cells.restartDue(cell, now);
  else if (cell.status === "active" && cell.deadline !== null && cell.deadline <= at) {
    // Not taken by a full mailbox: the actor is busy and will be ticked again right after.
    if (cells.offer(address, cells.tick(cell, now), now) === "full") {
      cells.deadlines.arm(address, now);
    }
  }
};
