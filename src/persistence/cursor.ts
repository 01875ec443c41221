/**
 * Cursors for paged lists: opaque to callers, the id of the last item inside. Ids are ULIDs
 * (jobs, runs), so "after this id" is "created after this one", the same order in every
 * adapter, and a cursor stays valid while items are added or purged.
 *
 * Opaque on purpose: base64url of a small JSON object, so the format can change (add a sort
 * key) without a caller having learnt to build cursors by hand.
 */
import { Either } from "effect";
import { InvalidInput } from "../domain/errors.ts";
import { defaultPageSize, maxPageSize } from "./jobs.ts";

export const encodeCursor = (afterId: string): string =>
  Buffer.from(JSON.stringify({ a: afterId }), "utf8").toString("base64url");

const badCursor = (why: string) =>
  new InvalidInput({
    message: `cursor: ${why}`,
    issues: [{ path: "cursor", message: why }],
  });

/** The id to list after, or undefined for the first page. */
export const decodeCursor = (
  cursor: string | undefined,
): Either.Either<string | undefined, InvalidInput> => {
  if (cursor === undefined) return Either.right(undefined);
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "a" in parsed &&
      typeof parsed.a === "string"
    ) {
      return Either.right(parsed.a);
    }
  } catch {
    // Falls through to the refusal below.
  }
  return Either.left(badCursor("Expected a cursor returned by a previous page"));
};

export const pageLimit = (limit: number | undefined): Either.Either<number, InvalidInput> => {
  if (limit === undefined) return Either.right(defaultPageSize);
  if (Number.isInteger(limit) && limit >= 1 && limit <= maxPageSize) return Either.right(limit);
  return Either.left(
    new InvalidInput({
      message: `limit: Expected an integer from 1 to ${maxPageSize}, actual ${limit}`,
      issues: [
        { path: "limit", message: `Expected an integer from 1 to ${maxPageSize}, actual ${limit}` },
      ],
    }),
  );
};

/** Given up to `limit + 1` items in order, the page and the cursor after it. */
export const pageOf = <T>(
  items: ReadonlyArray<T>,
  limit: number,
  idOf: (t: T) => string,
): { readonly items: ReadonlyArray<T>; readonly next: string | null } => {
  if (items.length <= limit) return { items, next: null };
  const page = items.slice(0, limit);
  return { items: page, next: encodeCursor(idOf(page[page.length - 1]!)) };
};
