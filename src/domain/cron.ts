/**
 * Cron expressions and time zones, read by cron-parser (a well-kept parser with time zones and
 * daylight saving, through luxon): what a schedule's times are. Nothing here reads a clock:
 * every function is given the instants it works between.
 *
 * `H` fields (a value picked per schedule) are seeded with the schedule's name, so a schedule's
 * times are the same at every start of every supervisor.
 */
import { CronExpressionParser } from "cron-parser";

const named = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@hourly",
  "@minutely",
  "@secondly",
  "@weekdays",
  "@weekends",
]);

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * `f` remembering its answers for the last few hundred distinct arguments: checking an
 * expression parses it (about a hundred microseconds) and checking a zone builds a formatter
 * (as long), and every schedule record read or written checks both again.
 */
const remembered = (f: (s: string) => string | undefined) => {
  const known = new Map<string, string | undefined>();
  return (s: string): string | undefined => {
    if (known.has(s)) return known.get(s);
    const answer = f(s);
    if (known.size >= 500) known.clear();
    known.set(s, answer);
    return answer;
  };
};

/** Why `expression` is not a cron expression this runtime takes; undefined when it is. */
export const cronProblem = remembered((expression: string): string | undefined => {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    return named.has(trimmed) ? undefined : `"${trimmed}" is not one of ${[...named].join(", ")}`;
  }
  const fields = trimmed.split(/\s+/).filter((f) => f !== "").length;
  if (fields !== 5 && fields !== 6) {
    return `has ${fields} fields: a cron expression has 5 (minute hour day month weekday), or 6 with seconds first`;
  }
  try {
    CronExpressionParser.parse(trimmed, { tz: "UTC", currentDate: 0, strict: false }).next();
    return undefined;
  } catch (e) {
    return `is not a cron expression: ${message(e)}`;
  }
});

/** Why `zone` is not an IANA time zone this runtime knows; undefined when it is. */
export const zoneProblem = remembered((zone: string): string | undefined => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not a known time zone (an IANA name such as Europe/Madrid, or UTC)`;
  }
});

export interface CronTimes {
  readonly cron: string;
  readonly timezone: string;
  /** Seeds `H` fields. */
  readonly seed: string;
}

/**
 * The times of one cron expression, parsed once (a parse costs about five steps): `next` and
 * `between` move its cursor to where they start.
 */
export interface CronCursor {
  /** The first `n` times strictly after `after`, earliest first. */
  readonly next: (after: number, n: number) => number[];
  /**
   * The times in `(after, until]`, earliest first; when there are more than `limit`, the last
   * `limit` of them, and `more` says older ones were left out. It walks back from `until`, so a
   * long gap (a supervisor down for days) costs `limit` steps, not one per missed time.
   */
  readonly between: (
    after: number,
    until: number,
    limit: number,
  ) => { readonly times: number[]; readonly more: boolean };
}

export const cronCursor = (c: CronTimes): CronCursor => {
  const e = CronExpressionParser.parse(c.cron.trim(), {
    tz: c.timezone,
    currentDate: 0,
    hashSeed: c.seed,
  });
  return {
    next: (after, n) => {
      e.reset(new Date(after));
      const out: number[] = [];
      while (out.length < n && e.hasNext()) out.push(e.next().getTime());
      return out;
    },
    between: (after, until, limit) => {
      if (until <= after) return { times: [], more: false };
      e.reset(new Date(until + 1));
      const times: number[] = [];
      while (e.hasPrev()) {
        const t = e.prev().getTime();
        if (t <= after) return { times: times.reverse(), more: false };
        if (times.length === limit) return { times: times.reverse(), more: true };
        times.push(t);
      }
      return { times: times.reverse(), more: false };
    },
  };
};

/** The first `n` times strictly after `after`, earliest first. */
export const nextTimes = (c: CronTimes, after: number, n: number): number[] =>
  cronCursor(c).next(after, n);

/** See `CronCursor.between`. */
export const timesBetween = (c: CronTimes, after: number, until: number, limit: number) =>
  cronCursor(c).between(after, until, limit);
