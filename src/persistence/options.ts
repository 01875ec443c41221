/**
 * Options every adapter shares, normalized once: defaults filled in, bad values refused with a
 * message that names the option and the accepted range.
 *
 * - `logCap.maxBytes` (default 16 MiB) and `logCap.maxLines` (default 200,000): per job, see
 *   log-cap.ts. Enough for a verbose build; a job that prints in a loop is cut, not the disk.
 * - `maxBatch` (default 4096): the most writes one group commit takes. A burst larger than this
 *   is split in several commits, so one commit's latency stays bounded.
 */
import type { LogCap } from "./log-cap.ts";

export interface StoreOptions {
  readonly logCap?: Partial<LogCap>;
  readonly maxBatch?: number;
}

export interface NormalizedStoreOptions {
  readonly logCap: LogCap;
  readonly maxBatch: number;
}

export const defaultStoreOptions: NormalizedStoreOptions = {
  logCap: { maxBytes: 16 * 2 ** 20, maxLines: 200_000 },
  maxBatch: 4096,
};

const positiveInt = (name: string, value: number | undefined, fallback: number, max: number) => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(
      `store option ${name}: expected an integer from 1 to ${max}, got ${value}`,
    );
  }
  return value;
};

/** Throws a RangeError naming the first bad option: a misconfiguration is fixed, not handled. */
export const normalizeStoreOptions = (options: StoreOptions = {}): NormalizedStoreOptions => ({
  logCap: {
    maxBytes: positiveInt(
      "logCap.maxBytes",
      options.logCap?.maxBytes,
      defaultStoreOptions.logCap.maxBytes,
      2 ** 40,
    ),
    maxLines: positiveInt(
      "logCap.maxLines",
      options.logCap?.maxLines,
      defaultStoreOptions.logCap.maxLines,
      2 ** 40,
    ),
  },
  maxBatch: positiveInt("maxBatch", options.maxBatch, defaultStoreOptions.maxBatch, 100_000),
});
