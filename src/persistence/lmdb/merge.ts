/**
 * Merging id-ordered index scans. A filter on several states reads one range per state; the
 * page is their union in id order (descending ranges: `descending`), produced lazily so a page
 * of 100 reads about 100 keys per range, not the whole ranges.
 */
export function* mergeSorted(
  sources: ReadonlyArray<Iterable<string>>,
  descending = false,
): Generator<string> {
  const first = (a: string, b: string) => (descending ? a > b : a < b);
  const iterators = sources.map((s) => s[Symbol.iterator]());
  // A page stops reading early: each range's cursor (an LMDB read transaction) is closed then,
  // or the environment runs out of readers (MDB_READERS_FULL) after enough pages.
  try {
    const heads = iterators.map((it) => it.next());
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (!h.done && (min === -1 || first(h.value, heads[min]!.value as string))) min = i;
      }
      if (min === -1) return;
      const value = heads[min]!.value as string;
      yield value;
      // The same id in two ranges (a stale key) comes out once.
      for (let i = 0; i < heads.length; i++) {
        while (!heads[i]!.done && heads[i]!.value === value) heads[i] = iterators[i]!.next();
      }
    }
  } finally {
    for (const it of iterators) it.return?.();
  }
}

/** `ids` without `after` itself: ranges start at the cursor's id, inclusive. */
export function* after(ids: Iterable<string>, id: string | undefined): Generator<string> {
  for (const x of ids) if (id === undefined || x > id) yield x;
}

/** `ids` without `before` itself, for a range read backwards from the cursor's id. */
export function* before(ids: Iterable<string>, id: string | undefined): Generator<string> {
  for (const x of ids) if (id === undefined || x < id) yield x;
}
