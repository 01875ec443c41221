/**
 * One topic of the in-memory bus: its subscribers' mailboxes, the publishers waiting for room,
 * and its counters. It is the adapter's `Publisher` for that topic.
 *
 * Waiting publishers are served by hand-off: a waiter parks its messages here, and whoever makes
 * room (a subscriber draining, an unsubscribe) moves them into the mailboxes before resuming it.
 * So a woken publisher never has to race for the room it was woken for, waiters are served
 * strictly in arrival order, and `tryPublish` refuses while anyone waits, so a newcomer cannot
 * overtake. Together that is what makes order FIFO per publisher under backpressure.
 */
import { Effect } from "effect";
import { BusClosed } from "./port.ts";
import type { Publisher, TopicStats } from "./port.ts";
import { Mailbox } from "./mailbox.ts";
import type { MailboxOwner } from "./mailbox.ts";
import type { Message, Topic } from "./topic.ts";

interface Waiter<A> {
  readonly messages: ReadonlyArray<Message<A>>;
  /** Index of the first message not yet in the mailboxes. */
  next: number;
  readonly resume: (outcome: Effect.Effect<void, BusClosed>) => void;
}

export class Hub<A> implements Publisher<A>, MailboxOwner<A> {
  published = 0;
  delivered = 0;
  received = 0;
  dropped = 0;
  waits = 0;
  private closed = false;
  private readonly dropOldest: boolean;
  /** Replaced, never mutated, so a publish loop is unaffected by a concurrent unsubscribe. */
  private subscribers: ReadonlyArray<Mailbox<A>> = [];
  private readonly waiters: Array<Waiter<A>> = [];
  /**
   * The single mailbox while the topic is open, backpressured, has one subscriber and no waiting
   * publisher: the common actor-to-actor case then costs one bound check and one array write.
   * Recomputed by `refresh` on every change of those conditions.
   */
  private only: Mailbox<A> | undefined = undefined;

  constructor(readonly topic: Topic<A>) {
    this.dropOldest = topic.overflow === "drop-oldest";
  }

  tryPublish(message: Message<A>): boolean {
    const only = this.only;
    if (only !== undefined) {
      if (only.size >= only.capacity) return false;
      only.push(message);
      this.published++;
      this.delivered++;
      return true;
    }
    if (this.waiters.length !== 0 || this.closed) return false;
    const subs = this.subscribers;
    if (this.dropOldest) {
      for (let i = 0; i < subs.length; i++) this.dropped += subs[i]!.pushDropping(message);
    } else {
      // All or nothing: a message is in every mailbox or in none.
      for (let i = 0; i < subs.length; i++) if (subs[i]!.size >= subs[i]!.capacity) return false;
      for (let i = 0; i < subs.length; i++) subs[i]!.push(message);
    }
    this.published++;
    this.delivered += subs.length;
    return true;
  }

  publish(message: Message<A>): Effect.Effect<void, BusClosed> {
    return Effect.suspend(() =>
      this.closed
        ? this.fail()
        : this.tryPublish(message)
          ? Effect.void
          : this.wait({ messages: [message], next: 0 }),
    );
  }

  publishBatch(messages: ReadonlyArray<Message<A>>): Effect.Effect<void, BusClosed> {
    return Effect.suspend(() => {
      if (this.closed) return this.fail();
      const next = this.waiters.length === 0 ? this.offer(messages, 0) : 0;
      return next === messages.length ? Effect.void : this.wait({ messages, next });
    });
  }

  /** Puts the longest prefix of messages[from..] that fits everywhere; returns the new index. */
  private offer(messages: ReadonlyArray<Message<A>>, from: number): number {
    const subs = this.subscribers;
    let n = messages.length - from;
    if (!this.dropOldest) {
      for (const s of subs) n = Math.min(n, s.capacity - s.size);
    }
    if (n <= 0) return from;
    const end = from + n;
    for (const s of subs) {
      if (!this.dropOldest) s.pushMany(messages, from, end);
      else for (let i = from; i < end; i++) this.dropped += s.pushDropping(messages[i]!);
    }
    this.published += n;
    this.delivered += n * subs.length;
    return end;
  }

  private wait(parked: Omit<Waiter<A>, "resume">): Effect.Effect<void, BusClosed> {
    return Effect.async<void, BusClosed>((resume) => {
      const waiter: Waiter<A> = { ...parked, resume };
      this.waiters.push(waiter);
      this.waits++;
      this.refresh();
      return Effect.sync(() => {
        // Interrupted: what was handed off stays delivered, the rest is withdrawn.
        const i = this.waiters.indexOf(waiter);
        if (i === -1) return;
        this.waiters.splice(i, 1);
        this.refresh();
        if (i === 0) this.onSpace();
      });
    });
  }

  onSpace(): void {
    while (this.waiters.length !== 0 && !this.closed) {
      const waiter = this.waiters[0]!;
      waiter.next = this.offer(waiter.messages, waiter.next);
      if (waiter.next < waiter.messages.length) return;
      this.waiters.shift();
      this.refresh();
      waiter.resume(Effect.void);
    }
  }

  subscribe(capacity: number): Mailbox<A> {
    const mailbox = new Mailbox(this.topic, capacity, this);
    if (this.closed) mailbox.close("closed", true);
    else this.subscribers = [...this.subscribers, mailbox];
    this.refresh();
    return mailbox;
  }

  unsubscribe(mailbox: Mailbox<A>): void {
    // Mailboxes outside the list were unsubscribed already, or born closed and empty.
    if (!this.subscribers.includes(mailbox)) return;
    this.subscribers = this.subscribers.filter((s) => s !== mailbox);
    this.refresh();
    mailbox.close("unsubscribed", true);
    // The leaving mailbox may have been the only full one.
    this.onSpace();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const waiters = this.waiters.splice(0);
    this.refresh();
    for (const w of waiters) w.resume(this.fail());
    for (const s of this.subscribers) s.close("closed", false);
  }

  stats(): TopicStats {
    return {
      topic: this.topic.name,
      overflow: this.topic.overflow,
      published: this.published,
      delivered: this.delivered,
      received: this.received,
      dropped: this.dropped,
      subscribers: this.subscribers.length,
      waitingPublishers: this.waiters.length,
      waits: this.waits,
    };
  }

  private refresh(): void {
    const plain = !this.closed && !this.dropOldest && this.waiters.length === 0;
    this.only = plain && this.subscribers.length === 1 ? this.subscribers[0] : undefined;
  }

  private fail(): Effect.Effect<never, BusClosed> {
    return Effect.fail(new BusClosed({ topic: this.topic.name, reason: "closed" }));
  }
}
