/**
 * Every error the API answers, in one shape: `{ "error": { "code", "message", "details" } }`.
 *
 * `code` is stable and meant for programs; `message` is for people; `details` is null or, for
 * 400, the issues with their dotted paths (`[{ path: "resources.memoryMb", message: "..." }]`).
 *
 * | status | codes |
 * |---|---|
 * | 400 | invalid_json, invalid_input |
 * | 401 | unauthorized |
 * | 404 | not_found (an unknown id), route_not_found |
 * | 405 | method_not_allowed (the path exists with other methods; `Allow` lists them) |
 * | 409 | conflict |
 * | 413 | payload_too_large |
 * | 422 | unplaceable (only with `?requirePlaceable=1`) |
 * | 500 | internal, store_error (a stored record is unreadable) |
 * | 503 | not_ready, shutting_down, store_unavailable (a store fault: nothing was written; retry) |
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema";
import { Data, ParseResult, Schema } from "effect";
import type { DomainError } from "../domain/errors.ts";
import type { StoreError } from "../persistence/errors.ts";
import { corruptionOf } from "../persistence/quarantine.ts";

export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.String.annotations({ description: "stable, for programs: invalid_input, ..." }),
    message: Schema.String.annotations({ description: "for people" }),
    details: Schema.Unknown.annotations({
      description: "null, or for 400 the issues: [{ path, message }]",
    }),
  }),
}).annotations({ identifier: "Error", description: "every error response" });
export type ErrorBody = typeof ErrorBody.Type;

/** The error body declared at a status, for the OpenAPI document. */
export const errorAt = (status: number, description: string) =>
  ErrorBody.annotations(HttpApiSchema.annotations({ status, description }));

/** An error on its way to the client. Handlers fail with it (or yield it); the server writes it. */
export class ApiFailure extends Data.TaggedError("ApiFailure")<{
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;
}> {
  constructor(
    status: number,
    code: string,
    message: string,
    details: unknown = null,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super({ status, code, message, details, headers });
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what: string, id: string) =>
  new ApiFailure(404, "not_found", `${what} ${id} not found`);

/** Domain and store errors as the API answers them. */
export const fromError = (e: DomainError | StoreError | ApiFailure): ApiFailure => {
  switch (e._tag) {
    case "ApiFailure":
      return e;
    case "InvalidInput":
    case "PipelineInvalid":
      return new ApiFailure(400, "invalid_input", e.message, e.issues);
    case "NotFound":
      return new ApiFailure(404, "not_found", e.message);
    case "Conflict":
      return new ApiFailure(409, "conflict", e.message);
    case "StaleAttempt":
      return new ApiFailure(409, "conflict", e.message);
    case "Unplaceable":
      return new ApiFailure(422, "unplaceable", e.reason);
    case "StoreError": {
      // A record that does not decode will not get better by retrying; a fault of the store
      // (a full disk, a lost connection) will: nothing of the request was written.
      const corrupt = corruptionOf(e);
      if (corrupt !== undefined) {
        return new ApiFailure(500, "quarantined", `${corrupt.message} (kept untouched)`, {
          kind: corrupt.kind,
          id: corrupt.id,
        });
      }
      return ParseResult.isParseError(e.cause)
        ? new ApiFailure(500, "store_error", e.message)
        : new ApiFailure(
            503,
            "store_unavailable",
            `the store is failing, nothing was written; retry later (${e.message})`,
            null,
            { "retry-after": "1" },
          );
    }
  }
};
