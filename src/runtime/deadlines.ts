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
    // Sifted up by moving parents down into the hole: no swap (a destructuring swap allocates
    // an array and an iterator each time, ~1.8 KB per pop of a 100,000-entry heap).
    const due = { at, address };
    let i = h.length;
    h.push(due);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (p.at <= at) break;
      h[i] = p;
      i = parent;
    }
    h[i] = due;
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
      // `last` sifted down from the root, children moved up into the hole.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = l;
        if (l >= h.length) break;
        if (r < h.length && h[r]!.at < h[l]!.at) m = r;
        if (h[m]!.at >= last.at) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
