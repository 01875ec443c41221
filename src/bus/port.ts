/**
 * The bus port: what every bus adapter implements (in-memory today, NATS JetStream later for
 * multi-supervisor setups). Actors and services depend on this file and topic.ts only.
 *
 * Glossary
 * - **Topic**: a typed name (`defineTopic<A>("job.events")`, see topic.ts) with a mailbox
 *   capacity and an overflow policy. The type parameter makes cross-topic mistakes compile errors.
 * - **Message**: any value, passed by reference and typed read-only (`Readonly<A>`). Nobody may
 *   mutate a message after publishing it; every subscriber sees the very same object.
 * - **Publisher**: a handle bound to one topic (`bus.publisher(topic)`); hot loops keep one
 *   rather than resolving the topic on every call. `bus.publish(topic, m)` is the same thing.
 * - **Subscription**: one subscriber's bounded FIFO **mailbox** on one topic. Every message
 *   published after `subscribe` returns is delivered to every current subscription (fan-out).
 * - **Backpressure** (the default overflow policy): a publish completes only once the message
 *   sits in *every* subscriber's mailbox. With fan-out, the slowest subscriber therefore paces
 *   the publisher; a message is never delivered to some subscribers and held back for others.
 *   `publishBatch` delivers the longest prefix that fits everywhere, then waits for the rest.
 * - **Drop-oldest**: a topic may opt out of backpressure. A full mailbox then discards its oldest
 *   message to make room; each discard is counted on the subscription and on the topic, so for
 *   each subscriber `received + dropped + buffered == delivered`. Publishers never wait.
 * - **Order**: FIFO per publisher. Waiting publishers are served strictly in arrival order and a
 *   new publisher never overtakes one that is already waiting, so a publisher's messages (and a
 *   batch's elements) reach each mailbox in the order they were published. Messages of different
 *   publishers interleave in the order their publishes completed.
 * - **Interruption**: interrupting a waiting `publishBatch` withdraws the messages not yet
 *   delivered; those already in the mailboxes stay there. An interrupted taker takes nothing.
 * - **Fast path**: `tryPublish` and `drain` are synchronous and allocate nothing, so the common
 *   case costs a few array writes. The Effect APIs only suspend when there is something to wait
 *   for: room (`publish`, `publishBatch`) or messages (`take`, `takeUpTo`, `awaitMessages`).
 * - **Unsubscribe**: closing the subscription's Scope (or `unsubscribe`) removes the mailbox,
 *   discards what it still buffers, fails its waiting takers with `BusClosed("unsubscribed")`, and
 *   lets publishers that were waiting only for it proceed. Nothing keeps a reference to it.
 * - **Close**: `bus.close` refuses new publishes, fails waiting publishers with
 *   `BusClosed("closed")` (a partly delivered batch stays partly delivered), and wakes waiting
 *   subscribers; subscribers still receive what their mailbox holds, then get `BusClosed`. That is
 *   how a shutdown drains mailboxes before fibers end. Subscribing to a closed bus yields a
 *   subscription that is already closed.
 * - **Stats**: plain per-topic counters (published, delivered, received, dropped, subscribers,
 *   waiting publishers, waits), read by the metrics module; keeping them costs the hot path an
 *   increment or two, and reading them costs it nothing.
 */
import { Context, Schema } from "effect";
import type { Effect, Scope } from "effect";
import type { Message, OverflowPolicy, SubscribeOptions, Topic } from "./topic.ts";

export class BusClosed extends Schema.TaggedError<BusClosed>()("BusClosed", {
  topic: Schema.String,
  reason: Schema.Literal("closed", "unsubscribed"),
}) {}

export interface Publisher<A> {
  readonly topic: Topic<A>;
  /**
   * Publishes now if every mailbox has room (or the topic drops), and returns true. Returns
   * false, delivering nothing, when it would have to wait or the bus is closed; the caller then
   * falls back to `publish`, which waits or fails with the reason.
   */
  tryPublish(message: Message<A>): boolean;
  /** Waits while a backpressure mailbox is full. */
  publish(message: Message<A>): Effect.Effect<void, BusClosed>;
  /** Same as publishing each element in order, without letting anyone interleave inside it. */
  publishBatch(messages: ReadonlyArray<Message<A>>): Effect.Effect<void, BusClosed>;
}

export interface Subscription<A> {
  readonly topic: Topic<A>;
  readonly capacity: number;
  /** Messages buffered right now. */
  readonly size: number;
  /** Messages handed to this subscriber so far (by take, takeUpTo or drain). */
  readonly received: number;
  /** Messages discarded from this mailbox by a drop-oldest topic. */
  readonly dropped: number;
  /** Whether the mailbox was unsubscribed or the bus closed (it may still hold messages). */
  readonly closed: boolean;
  /**
   * Synchronously hands up to `max` buffered messages to `handler`, oldest first, and returns
   * how many. Never waits. The handler may publish, even to this topic.
   */
  drain(max: number, handler: (message: Message<A>) => void): number;
  /** Succeeds once at least one message is buffered; fails when closed and empty. */
  readonly awaitMessages: Effect.Effect<void, BusClosed>;
  /** Waits for the next message. */
  readonly take: Effect.Effect<Message<A>, BusClosed>;
  /** Waits for at least one message, then returns up to `max` of them, oldest first. */
  takeUpTo(max: number): Effect.Effect<ReadonlyArray<Message<A>>, BusClosed>;
  /** Idempotent; the Scope given to `subscribe` runs it on close. */
  readonly unsubscribe: Effect.Effect<void>;
}

export interface TopicStats {
  readonly topic: string;
  readonly overflow: OverflowPolicy;
  /** Messages accepted by publishes on this topic (with or without subscribers). */
  readonly published: number;
  /** Copies put into mailboxes: one per message per subscriber present at that moment. */
  readonly delivered: number;
  /** Messages handed to subscribers. */
  readonly received: number;
  /** Messages discarded by drop-oldest mailboxes. */
  readonly dropped: number;
  readonly subscribers: number;
  readonly waitingPublishers: number;
  /** Publishes (or batches) that found a mailbox full and had to wait: backpressure at work. */
  readonly waits: number;
}

export interface Bus {
  publisher<A>(topic: Topic<A>): Publisher<A>;
  tryPublish<A>(topic: Topic<A>, message: Message<A>): boolean;
  publish<A>(topic: Topic<A>, message: Message<A>): Effect.Effect<void, BusClosed>;
  publishBatch<A>(
    topic: Topic<A>,
    messages: ReadonlyArray<Message<A>>,
  ): Effect.Effect<void, BusClosed>;
  /** The subscription lives until the Scope closes (or `unsubscribe`). */
  subscribe<A>(
    topic: Topic<A>,
    options?: SubscribeOptions,
  ): Effect.Effect<Subscription<A>, never, Scope.Scope>;
  /** One entry per topic used so far, in first-use order. */
  stats(): ReadonlyArray<TopicStats>;
  /** Idempotent. */
  readonly close: Effect.Effect<void>;
}

/** The service tag: the composition root provides an adapter's layer for it. */
export class BusService extends Context.Tag("hodei/Bus")<BusService, Bus>() {}
