/**
 * Topics: typed names on the bus. A `Topic<A>` is a token that carries the message type `A`
 * only at the type level, so `publish(jobEvents, workerMessage)` does not type-check, plus the
 * options every adapter needs to know per topic (mailbox capacity and overflow policy).
 *
 * Options are normalized here, once, and bad values are rejected with a precise message: a
 * capacity of 0 or 1.5 is a programming error, and failing at definition time points at the
 * line that made it rather than at the first publish.
 */

/** What a full mailbox does to the next message. */
export type OverflowPolicy =
  /** The publisher waits until every subscriber of the topic has room. Nothing is lost. */
  | "backpressure"
  /** The oldest buffered message of the full mailbox is discarded and counted as dropped. */
  | "drop-oldest";

export interface TopicOptions {
  /** Mailbox size of each subscriber, unless the subscription overrides it. Default 1024. */
  readonly capacity?: number;
  /** Default "backpressure": drops must be asked for, per topic (e.g. telemetry). */
  readonly overflow?: OverflowPolicy;
}

export interface SubscribeOptions {
  /** This subscriber's mailbox size; defaults to the topic's capacity. */
  readonly capacity?: number;
}

declare const MessageType: unique symbol;

export interface Topic<A> {
  readonly name: string;
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  /** Phantom: never present at runtime, it only ties the token to its message type. */
  readonly [MessageType]?: (a: A) => A;
}

/** Messages cross the bus by reference, so both sides only ever see a read-only view. */
export type Message<A> = Readonly<A>;

export const DEFAULT_CAPACITY = 1024;

/** Large enough for any sane mailbox, small enough that a typo (1e9) fails loudly. */
export const MAX_CAPACITY = 1 << 24;

const topicName = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const validateCapacity = (what: string, capacity: number): number => {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new RangeError(
      `${what}: capacity must be an integer from 1 to ${MAX_CAPACITY}, got ${String(capacity)}`,
    );
  }
  return capacity;
};

/**
 * Defines a topic. Names are dot-separated tokens (`job.events`, `worker.telemetry`) so that
 * they map one-to-one onto NATS subjects if the bus ever crosses processes.
 */
export const defineTopic = <A>(name: string, options: TopicOptions = {}): Topic<A> => {
  if (!topicName.test(name)) {
    throw new RangeError(
      `defineTopic: name must be dot-separated tokens of [A-Za-z0-9_-], got ${JSON.stringify(name)}`,
    );
  }
  const overflow = options.overflow ?? "backpressure";
  if (overflow !== "backpressure" && overflow !== "drop-oldest") {
    throw new RangeError(
      `defineTopic(${name}): overflow must be "backpressure" or "drop-oldest", got ${JSON.stringify(overflow)}`,
    );
  }
  const capacity = validateCapacity(`defineTopic(${name})`, options.capacity ?? DEFAULT_CAPACITY);
  return Object.freeze({ name, capacity, overflow });
};

/** Two tokens for the same name must agree, or adapters would silently pick one of them. */
export const sameDefinition = <A, B>(a: Topic<A>, b: Topic<B>): boolean =>
  a.name === b.name && a.capacity === b.capacity && a.overflow === b.overflow;
