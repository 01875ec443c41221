/**
 * Records the schema refuses, kept aside rather than stopping the supervisor.
 *
 * A stored record that does not decode (a job row, an actor snapshot, a pipeline run or
 * definition) was written by a bug, an older build, or a hand that edited the store. It is never
 * a reason not to start: readers that walk many records (recovery, lists) skip it and put it in
 * quarantine, where it stays untouched in the store and is listed — in `/health` and in the log,
 * with the reason — for an operator to look at. Reading it by its id keeps failing with that
 * reason (`CorruptRecord`), so nothing acts on a record nobody can read.
 */
import { Data, Effect, Either, ParseResult } from "effect";
import { StoreError } from "./errors.ts";

export type RecordKind = "job" | "snapshot" | "run" | "definition" | "schedule";

/** Why a stored record cannot be read: the cause of the StoreError its reader fails with. */
export class CorruptRecord extends Data.TaggedError("CorruptRecord")<{
  readonly kind: RecordKind;
  readonly id: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `stored ${this.kind} ${this.id} is corrupt: ${this.reason}`;
  }
}

export interface QuarantinedRecord {
  readonly kind: RecordKind;
  readonly id: string;
  readonly reason: string;
  /** When this process first found it (epoch ms). */
  readonly at: number;
}

/** The record a StoreError says is corrupt, if it says so. */
export const corruptionOf = (e: unknown): CorruptRecord | undefined =>
  e instanceof StoreError && e.cause instanceof CorruptRecord ? e.cause : undefined;

/** A read of `kind`/`id` that failed to decode, as the StoreError its reader fails with. */
export const corrupt = (operation: string, kind: RecordKind, id: string, reason: string) =>
  new StoreError({ operation, cause: new CorruptRecord({ kind, id, reason }) });

export class Quarantine {
  private readonly records = new Map<string, QuarantinedRecord>();
  private readonly listeners: Array<(r: QuarantinedRecord) => void> = [];

  /** Keeps `c` (once per record), telling whoever listens the first time. */
  add(c: CorruptRecord, at = Date.now()): void {
    const key = `${c.kind}/${c.id}`;
    if (this.records.has(key)) return;
    const record = { kind: c.kind, id: c.id, reason: c.reason, at };
    this.records.set(key, record);
    for (const l of this.listeners) l(record);
  }

  list(): ReadonlyArray<QuarantinedRecord> {
    return [...this.records.values()];
  }

  /** Called for each record put in quarantine from now on (the supervisor logs them). */
  onAdd(listener: (r: QuarantinedRecord) => void): void {
    this.listeners.push(listener);
  }

  /**
   * For a reader that walks many records: the decoded value, or `undefined` for a corrupt one,
   * which is quarantined. Any other failure stays a failure.
   */
  skip<A>(read: Either.Either<A, StoreError>): Either.Either<A | undefined, StoreError> {
    if (Either.isRight(read)) return read;
    const c = corruptionOf(read.left);
    if (c === undefined) return read;
    this.add(c);
    return Either.right(undefined);
  }
}

/**
 * A record read by a reader that walks many: a schema refusal of it (the ParseError inside the
 * StoreError) puts it in quarantine and gives `undefined`; any other failure stays a failure.
 */
export const skipCorrupt = <A>(
  quarantine: Quarantine,
  kind: RecordKind,
  id: string,
  read: Effect.Effect<A, StoreError>,
): Effect.Effect<A | undefined, StoreError> =>
  Effect.catchAll(read, (e) => {
    const c =
      corruptionOf(e) ??
      (ParseResult.isParseError(e.cause)
        ? new CorruptRecord({ kind, id, reason: e.cause.message })
        : undefined);
    if (c === undefined) return Effect.fail(e);
    quarantine.add(c);
    return Effect.succeed(undefined);
  });

/** The values a walk kept, without the ones it put in quarantine. */
export const present = <A>(xs: ReadonlyArray<A | undefined>): A[] =>
  xs.filter((x): x is A => x !== undefined);
