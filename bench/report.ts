/** Shared helpers for benchmarks: percentiles, a readable table and the closing JSON line. */
import { cpus } from "node:os";

export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
};

export const median = (xs: ReadonlyArray<number>): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Machine line printed before every table: figures mean little without it. */
export const machine = (): string =>
  `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "unknown cpu"})`;

export const printTable = (title: string, rows: ReadonlyArray<Record<string, unknown>>): void => {
  console.log(`\n${title} — ${machine()}`);
  console.table(rows);
};

/** The last line of every benchmark: one JSON object, numbers or null. */
export const printJson = (figures: Record<string, string | number | null>): void => {
  console.log(JSON.stringify(figures));
};

/** Forces a full GC when node runs with --expose-gc (the bench script sets it). */
export const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
};
