/**
 * The persistence layer's own errors, next to the domain's (NotFound, Conflict, InvalidInput).
 *
 * - `StoreError`: an operation failed for a reason the caller cannot fix by changing its
 *   request (I/O, a lost connection, a corrupt row). `operation` names what was attempted, so a
 *   log line says "jobs.create failed", not only the driver's message.
 * - `StoreUnusable`: the store refused to open. The location holds something that is not a
 *   Hodei store of a format this build knows (a file where the directory should be, another
 *   application's LMDB or schema, a newer migration), or the server is unreachable. It is
 *   raised at start, before anything is written, so the location is never overwritten.
 *   `held`: another supervisor holds the store's lock (one supervisor per store); the reason
 *   names it (pid, host, since).
 */
import { Cause, Data, Option, Runtime } from "effect";

export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string;
  readonly cause: unknown;
}> {
  override get message(): string {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return `${this.operation} failed: ${cause}`;
  }
}

export class StoreUnusable extends Data.TaggedError("StoreUnusable")<{
  /** The data directory or `postgres://host/db#schema`, never with a password. */
  readonly location: string;
  readonly reason: string;
  readonly held?: boolean;
}> {
  override get message(): string {
    return `cannot use the store at ${this.location}: ${this.reason}`;
  }
}

/** `cause` as a StoreError of `operation`, unless it already is one. */
export const storeError =
  (operation: string) =>
  (cause: unknown): StoreError =>
    cause instanceof StoreError ? cause : new StoreError({ operation, cause });

/**
 * The StoreUnusable an error carries: the error itself, or the failure a FiberFailure wraps
 * (`Effect.runPromise` rejects with one).
 */
export const storeUnusableIn = (e: unknown): StoreUnusable | undefined => {
  const failure = Runtime.isFiberFailure(e)
    ? Option.getOrUndefined(Cause.failureOption(e[Runtime.FiberFailureCauseId]))
    : e;
  return failure instanceof StoreUnusable ? failure : undefined;
};
