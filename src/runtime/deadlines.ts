/**
 * The runtime's timers: a binary min-heap of (deadline, address), and `armed`, each actor's one
 * current deadline. A changed deadline pushes a new entry and leaves the old one in the heap;
 * popping skips entries that no longer match `armed` (lazy deletion: every change O(log n)).
 * When stale entries outnumber live ones the heap is rebuilt, so finished actors' timers do not
 * stay in memory until they would have fired.
 */
export interface Due {
  readonly at: number;
  readonly address: string;
}

export class Deadlines {
  private heap: Due[] = [];
  private readonly armed = new Map<string, number>();

  /** Sets (or with null, clears) the one deadline of `address`. */
  arm(address: string, at: number | null): void {
    if (at === null) {
      this.armed.delete(address);
    } else if (this.armed.get(address) !== at) {
      this.armed.set(address, at);
      this.push(at, address);
    }
    if (this.heap.length > 1024 && this.heap.length > 2 * this.armed.size) this.compact();
  }

  armedAt(address: string): number | undefined {
    return this.armed.get(address);
  }

  /** Live deadlines (not heap entries). */
  get armedCount(): number {
    return this.armed.size;
  }

  private compact(): void {
    const live = this.heap.filter((d) => this.armed.get(d.address) === d.at);
    this.heap = [];
    for (const d of live) this.push(d.at, d.address);
  }

  get size(): number {
    return this.heap.length;
  }

  peek(): number | null {
    return this.heap[0]?.at ?? null;
  }

  private push(at: number, address: string): void {
    const h = this.heap;
    h.push({ at, address });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Removes and returns every armed deadline due at or before `now`, earliest first. */
  popDue(now: number): Due[] {
    const out: Due[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const due = this.pop()!;
      if (this.armed.get(due.address) === due.at) {
        this.armed.delete(due.address);
        out.push(due);
      }
    }
    return out;
  }

  private pop(): Due | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
