/**
 * Coalescing what one side of a session says about jobs into one frame per event-loop turn.
 *
 * Each message on a gRPC stream costs both ends a frame, a serialization and a syscall or two,
 * whatever its size: at thousands of jobs a second that, not the work, is the cost. So the
 * items of one turn (assignments, cancels and acknowledgements on the supervisor's side;
 * acceptances and results on the agent's) leave together, as one `Work` or `Reports` message,
 * at the end of the turn (`setImmediate`). One item alone leaves as its own message, as before
 * batching, so an idle system pays no extra bytes for it and a receiver that predates batching
 * still understands a quiet session.
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

export class FrameBatch<Item, Message> {
  private items: Item[] = [];
  private bytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly maxItems: number;
  private readonly maxBytes: number;

  constructor(private readonly o: FrameBatchOptions<Item, Message>) {
    this.maxItems = o.maxItems ?? 512;
    this.maxBytes = o.maxBytes ?? 1024 * 1024;
  }

  /** Items waiting for the end of the turn. */
  get pending(): number {
    return this.items.length;
  }

  add(item: Item): void {
    const size = this.o.sizeOf(item);
    if (this.items.length > 0 && this.bytes + size > this.maxBytes) this.flush();
    this.items.push(item);
    this.bytes += size;
    if (this.items.length >= this.maxItems) this.flush();
    else this.scheduled ??= setImmediate(this.flush);
  }

  /** Writes a message that is never batched, after everything added before it. */
  send(message: Message): void {
    this.flush();
    this.o.write(message);
  }

  /** Writes what is pending now. */
  readonly flush = (): void => {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    this.bytes = 0;
    this.o.write(items.length === 1 ? this.o.single(items[0]!) : this.o.many(items));
  };

  /** Forgets what is pending (the stream is gone; nothing may be written to it any more). */
  discard(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.items = [];
    this.bytes = 0;
  }
}
