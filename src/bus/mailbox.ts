/**
 * One subscriber's mailbox in the in-memory bus: a bounded ring buffer plus the fibers waiting
 * for it to become non-empty. It is the adapter's `Subscription`.
 *
 * The ring is sized to a power of two so an index wraps with a mask, and the bound is enforced
 * separately (`capacity` need not be a power of two). Consumed slots are cleared so a drained
 * mailbox holds no references to old messages. Fields are re-read on every turn of the drain
 * loop on purpose: a handler may publish into this very mailbox, or unsubscribe it, meanwhile.
 */
import { Effect } from "effect";
import { BusClosed } from "./port.ts";
import type { Subscription } from "./port.ts";
import type { Message, Topic } from "./topic.ts";

/** What a mailbox needs from its topic: counters to feed, and a hook to wake publishers. */
export interface MailboxOwner<A> {
  received: number;
  /** Called after messages left a mailbox: publishers waiting for room may proceed. */
  onSpace(): void;
  unsubscribe(mailbox: Mailbox<A>): void;
}

export class Mailbox<A> implements Subscription<A> {
  size = 0;
  received = 0;
  dropped = 0;
  closed = false;
  private reason: BusClosed["reason"] = "closed";
  private head = 0;
  private readonly mask: number;
  private readonly ring: Array<Message<A> | undefined>;
  /** Wake-ups for fibers in awaitMessages/take/takeUpTo; all are woken, each re-checks. */
  private takers: Array<() => void> = [];

  constructor(
    readonly topic: Topic<A>,
    readonly capacity: number,
    private readonly owner: MailboxOwner<A>,
  ) {
    let length = 1;
    while (length < capacity) length <<= 1;
    this.mask = length - 1;
    this.ring = new Array<Message<A> | undefined>(length).fill(undefined);
  }

  /** Caller (the topic) has checked there is room: backpressure is decided once, for all. */
  push(message: Message<A>): void {
    this.ring[(this.head + this.size) & this.mask] = message;
    this.size++;
    if (this.takers.length !== 0) this.wake();
  }

  /** `push` for messages[from..end), waking takers once. Same precondition: room for all. */
  pushMany(messages: ReadonlyArray<Message<A>>, from: number, end: number): void {
    const ring = this.ring;
    const mask = this.mask;
    let slot = this.head + this.size;
    for (let i = from; i < end; i++) ring[slot++ & mask] = messages[i];
    this.size += end - from;
    if (this.takers.length !== 0) this.wake();
  }

  /** Drop-oldest offer; returns how many messages it discarded (0 or 1). */
  pushDropping(message: Message<A>): number {
    let dropped = 0;
    if (this.size === this.capacity) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.size--;
      this.dropped++;
      dropped = 1;
    }
    this.push(message);
    return dropped;
  }

  drain(max: number, handler: (message: Message<A>) => void): number {
    try {
      return this.pull(max, handler);
    } finally {
      // Even if a handler threw: room was made, and a waiting publisher must not stay stuck.
      this.owner.onSpace();
    }
  }

  /**
   * The loop alone, with nothing after it but `return`: V8 compiles a hot loop on-stack before
   * the code after it has ever run, and would deoptimise on every exit if that code were here.
   */
  private pull(max: number, handler: (message: Message<A>) => void): number {
    let n = 0;
    while (n < max && this.size !== 0) {
      const i = this.head;
      const message = this.ring[i] as Message<A>;
      this.ring[i] = undefined;
      this.head = (i + 1) & this.mask;
      this.size--;
      n++;
      // Counted before the handler runs, so a throwing handler leaves the counters exact.
      this.received++;
      this.owner.received++;
      handler(message);
    }
    return n;
  }

  /** Suspends until a push or a close; the canceller unregisters, so nothing leaks. */
  private readonly signal: Effect.Effect<void> = Effect.async<void>((resume) => {
    const wake = (): void => resume(Effect.void);
    this.takers.push(wake);
    return Effect.sync(() => {
      const i = this.takers.indexOf(wake);
      if (i !== -1) this.takers.splice(i, 1);
    });
  });

  private fail(): Effect.Effect<never, BusClosed> {
    return Effect.fail(new BusClosed({ topic: this.topic.name, reason: this.reason }));
  }

  // Each waiting API checks and acts in one synchronous step: between a separate "await" and
  // "take" the fiber may yield, and another taker could empty the mailbox in between.
  readonly awaitMessages: Effect.Effect<void, BusClosed> = Effect.suspend(() =>
    this.size !== 0
      ? Effect.void
      : this.closed
        ? this.fail()
        : Effect.zipRight(this.signal, this.awaitMessages),
  );

  readonly take: Effect.Effect<Message<A>, BusClosed> = Effect.suspend(() => {
    if (this.size !== 0) {
      let out: Message<A> | undefined;
      this.drain(1, (m) => (out = m));
      return Effect.succeed(out as Message<A>);
    }
    return this.closed ? this.fail() : Effect.zipRight(this.signal, this.take);
  });

  takeUpTo(max: number): Effect.Effect<ReadonlyArray<Message<A>>, BusClosed> {
    return Effect.suspend(() => {
      if (this.size !== 0) {
        const out: Array<Message<A>> = [];
        this.drain(max, (m) => out.push(m));
        return Effect.succeed(out);
      }
      return this.closed ? this.fail() : Effect.zipRight(this.signal, this.takeUpTo(max));
    });
  }

  readonly unsubscribe: Effect.Effect<void> = Effect.sync(() => this.owner.unsubscribe(this));

  /**
   * Marks the mailbox closed and wakes its takers. On unsubscribe the buffer is discarded (the
   * subscriber said it is done); on bus close it is kept so the subscriber can drain it.
   */
  close(reason: BusClosed["reason"], discard: boolean): void {
    this.closed = true;
    this.reason = reason;
    if (discard) {
      this.ring.fill(undefined);
      this.head = 0;
      this.size = 0;
    }
    this.wake();
  }

  private wake(): void {
    const takers = this.takers;
    this.takers = [];
    for (const wake of takers) wake();
  }
}
