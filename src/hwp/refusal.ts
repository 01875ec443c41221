/**
 * How a report the supervisor would not take becomes a gRPC status: one mapping, so the agent
 * sees the same code whether the refusal ends a call or arrives as an Error on its session.
 *
 *   InvalidInput -> INVALID_ARGUMENT (details list every field: `path: message; ...`)
 *   NotFound     -> NOT_FOUND
 *   StaleAttempt -> FAILED_PRECONDITION (the agent drops that attempt)
 *   Conflict     -> FAILED_PRECONDITION (a lost worker's heartbeat: it registers again)
 *   a defect     -> INTERNAL (the agent keeps what it sent and tries again after a reconnect)
 */
import { status, type ServerErrorResponse, Metadata } from "@grpc/grpc-js";
import { Cause, Effect, Exit, Option } from "effect";
import type { Conflict, InvalidInput, NotFound, StaleAttempt } from "../domain/errors.ts";

export interface Refusal {
  readonly code: status;
  readonly message: string;
}

/** Status details are read by people: long enough to list a few fields, never unbounded. */
const maxDetails = 2000;

const clip = (s: string): string => (s.length <= maxDetails ? s : `${s.slice(0, maxDetails - 1)}…`);

export const invalidArgument = (e: InvalidInput): Refusal => ({
  code: status.INVALID_ARGUMENT,
  message: clip(
    e.issues.length === 0
      ? e.message
      : e.issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; "),
  ),
});

export type ReportError = InvalidInput | NotFound | StaleAttempt | Conflict;

export const refusalOf = (e: ReportError): Refusal => {
  switch (e._tag) {
    case "InvalidInput":
      return invalidArgument(e);
    case "NotFound":
      return { code: status.NOT_FOUND, message: e.message };
    case "StaleAttempt":
    case "Conflict":
      return { code: status.FAILED_PRECONDITION, message: e.message };
  }
};

/**
 * Runs one of the core's report Effects to completion: `undefined` once it is done (durable),
 * or the refusal to pass on. Interruption and defects become INTERNAL; they are logged by the
 * core, and the agent will retry.
 */
export type ReportOutcome<A> =
  { readonly ok: true; readonly value: A } | { readonly ok: false; readonly refusal: Refusal };

export const outcomeOf = <A, E extends ReportError>(exit: Exit.Exit<A, E>): ReportOutcome<A> => {
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value };
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure)) return { ok: false, refusal: refusalOf(failure.value) };
  const defect = Cause.squash(exit.cause);
  const reason = defect instanceof Error ? defect.message : String(defect);
  return {
    ok: false,
    refusal: { code: status.INTERNAL, message: clip(`supervisor error: ${reason}`) },
  };
};

export const runReport = async <A, E extends ReportError>(
  effect: Effect.Effect<A, E>,
): Promise<ReportOutcome<A>> => outcomeOf(await Effect.runPromiseExit(effect));

/** The shape grpc-js turns into a call's final status. */
export const serviceError = (r: Refusal): ServerErrorResponse => {
  const e = new Error(r.message) as ServerErrorResponse;
  e.code = r.code;
  e.details = r.message;
  e.metadata = new Metadata();
  return e;
};
