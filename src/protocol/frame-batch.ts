/**
 * Coalescing what one side of a session says about jobs into frames.
 *
 * Each message on a gRPC stream costs both ends a frame, a serialization and a syscall or two,
 * whatever its size: at thousands of jobs a second that, not the work, is the cost. So on a
 * busy session the items of one turn (assignments, cancels and acknowledgements on the
 * supervisor's side; acceptances and results on the agent's) leave together, as one `Work` or
 * `Reports` message, at the end of the turn (`setImmediate`). Node's HTTP/2 sends what is written
 * in a turn's check phase, though, so a frame written at `setImmediate` waits a whole loop
 * iteration more to leave (0.14 ms of a lone job's 1.1 ms here): on a quiet session (its last
 * frame carried at most `quietItems` items) the items leave as soon as the code that added the
 * first of them is done (a microtask queued then). A busy one keeps to the end of the turn: there
 * a frame split in two costs more than the wait. One item alone leaves as its own message, as
 * before batching, so an idle system pays no extra bytes for it and a receiver that predates
 * batching still understands a quiet session.
 *
 * Order is kept: items leave in the order they were added, and a message that is never batched
 * (`send`: Welcome, Drain, Error, Hello, Leave, ...) first flushes what is pending, so it never
 * overtakes an item decided before it. A frame is closed early once it holds `maxItems` items
 * or about `maxBytes`, so that it stays well inside the message size limit.
 */
export interface FrameBatchOptions<Item, Message> {
  /** Writes one message to the stream. */
  readonly write: (message: Message) => void;
  /** The message that carries one item alone. */
  readonly single: (item: Item) => Message;
  /** The message that carries several items, in order. */
  readonly many: (items: ReadonlyArray<Item>) => Message;
  /** An estimate of an item's encoded size. */
  readonly sizeOf: (item: Item) => number;
  readonly maxItems?: number;
  readonly maxBytes?: number;
}

/** The most items the last frame may have carried for the next items to leave at once. */
const quietItems = 16;

export class FrameBatch<Item, Message> {
  private items: Item[] = [];
  private bytes = 0;
  private scheduled: NodeJS.Immediate | "microtask" | undefined;
  /** Items the last frame carried. */
  private lastItems = 0;
  private readonly maxItems: number;
  private readonly maxBytes: number;

  constructor(private readonly o: FrameBatchOptions<Item, Message>) {
    this.maxItems = o.maxItems ?? 512;
    this.maxBytes = o.maxBytes ?? 1024 * 1024;
  }

  /** Items waiting to leave. */
  get pending(): number {
    return this.items.length;
  }

  add(item: Item): void {
    const size = this.o.sizeOf(item);
    if (this.items.length > 0 && this.bytes + size > this.maxBytes) this.flush();
    this.items.push(item);
    this.bytes += size;
    if (this.items.length >= this.maxItems) this.flush();
    else if (this.scheduled === undefined) {
      if (this.lastItems > quietItems) this.scheduled = setImmediate(this.flush);
      else {
        this.scheduled = "microtask";
        queueMicrotask(this.flushScheduled);
      }
    }
  }

  /** Writes a message that is never batched, after everything added before it. */
  send(message: Message): void {
    this.flush();
    this.o.write(message);
  }

  private readonly flushScheduled = (): void => {
    if (this.scheduled === "microtask") this.flush();
  };

  /** Writes what is pending now. */
  readonly flush = (): void => {
    this.unschedule();
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    this.bytes = 0;
    this.lastItems = items.length;
    this.o.write(items.length === 1 ? this.o.single(items[0]!) : this.o.many(items));
  };

  private unschedule(): void {
    if (this.scheduled !== undefined && this.scheduled !== "microtask")
      clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  /** Forgets what is pending (the stream is gone; nothing may be written to it any more). */
  discard(): void {
    this.unschedule();
    this.items = [];
    this.bytes = 0;
  }
}
