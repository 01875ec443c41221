/**
 * An actor's mailbox: a bounded FIFO ring. It never drops: `push` refuses when full and the
 * sender waits (backpressure). It grows its ring on demand up to `capacity`, so a million idle
 * actors do not each pay for a full one.
 */
export class Mailbox<A> {
  private items: Array<A | undefined> = new Array(4);
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  push(item: A): boolean {
    if (this.count >= this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
    return true;
  }

  /** Puts a message in front of the others (a timer that fired while the actor was away). */
  unshift(item: A): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count++;
  }

  shift(): A | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  private grow(): void {
    const next = new Array<A | undefined>(Math.min(this.capacity + 1, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
