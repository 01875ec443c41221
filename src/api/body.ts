/**
 * Reading a request body under a size limit, before any parsing.
 *
 * - A declared `Content-Length` over the limit is refused without reading (and, for
 *   `Expect: 100-continue`, before the client sends it: see server.ts).
 * - A body that passes the limit while arriving (chunked, or a lying length) stops being kept:
 *   the rest is read and thrown away, so memory never holds more than the limit.
 * - The 413 is answered once the client has finished sending (it reads answers only then);
 *   a client that goes on past `discardLimit` is answered at once and disconnected.
 */
import type { IncomingMessage } from "node:http";
import { Limits } from "../domain/primitives.ts";
import { ApiFailure } from "./errors.ts";

export type BodyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly failure: ApiFailure; readonly destroy: boolean };

export const tooLarge = (limit: number) =>
  new ApiFailure(
    413,
    "payload_too_large",
    `the body is over the limit of ${limit} bytes`,
    {
      limit,
    },
    { connection: "close" },
  );

/** Calls `done` once, with the body text or the failure to answer. */
export const readBody = (
  req: IncomingMessage,
  limit: number,
  discardLimit: number,
  done: (result: BodyResult) => void,
): void => {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > discardLimit) {
    done({ ok: false, failure: tooLarge(limit), destroy: true });
    return;
  }
  let chunks: Buffer[] = [];
  let size = 0;
  let over = declared !== undefined && Number(declared) > limit;
  let finished = false;
  const finish = (result: BodyResult) => {
    if (finished) return;
    finished = true;
    done(result);
  };
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (over || size > limit) {
      over = true;
      chunks = [];
      if (size > discardLimit) finish({ ok: false, failure: tooLarge(limit), destroy: true });
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (over) finish({ ok: false, failure: tooLarge(limit), destroy: false });
    else {
      const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      finish({ ok: true, text: buffer.toString("utf8") });
    }
  });
  req.on("error", () =>
    finish({
      ok: false,
      failure: new ApiFailure(400, "invalid_input", "the request body could not be read"),
      destroy: true,
    }),
  );
};

const loneSurrogate = /\p{Cs}/u;

/** What is wrong with a parsed body's shape, and where. */
type Flaw = { readonly path: string; readonly flaw: "surrogate" | "depth" };

/**
 * The first flaw of a parsed body: a string (key or value) holding a lone UTF-16 surrogate —
 * which JSON's `\ud800` escapes can make, and which is no text: it cannot be written as UTF-8,
 * so it would break a store, a log line or an agent further on — or nesting deeper than
 * `Limits.jsonDepth` (64): such a body — 30,000 nested arrays is valid JSON — would overflow the
 * stack of any recursive walk after it (a schema's error quoting it did, and the request was
 * never answered). Undefined when there is none. Its own recursion stops at that depth.
 */
const flawOf = (value: unknown, path: string, depth: number): Flaw | undefined => {
  if (typeof value === "string")
    return loneSurrogate.test(value) ? { path, flaw: "surrogate" } : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  if (depth >= Limits.jsonDepth) return { path, flaw: "depth" };
  for (const [key, item] of Object.entries(value)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (loneSurrogate.test(key)) return { path: at, flaw: "surrogate" };
    const found = flawOf(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
};

/**
 * Whether `text` could parse to a string with a lone surrogate: it holds one (a caller's
 * string; text decoded from UTF-8 never does) or a `\u` escape of one (a valid pair matches
 * too). Most bodies hold neither, and their strings need no test each.
 */
const mayHoldSurrogate = /\p{Cs}|\\u[dD][89a-fA-F]/u;

/** Whether a parsed body nests deeper than `flawOf` allows: its walk, with no paths made. */
const tooDeep = (value: unknown, depth: number): boolean => {
  if (typeof value !== "object" || value === null) return false;
  if (depth >= Limits.jsonDepth) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (tooDeep(item, depth + 1)) return true;
    return false;
  }
  for (const key in value)
    if (tooDeep((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
};

const flawMessage = {
  surrogate: "Expected well-formed text, actual a string with a lone UTF-16 surrogate",
  depth: `Expected JSON nested at most ${Limits.jsonDepth} levels deep`,
} as const;

/** JSON.parse, with a 400 that says where the text broke or what of its shape is refused. */
export const parseJson = (
  text: string,
): { ok: true; value: unknown } | { ok: false; failure: ApiFailure } => {
  if (text.length === 0) {
    return {
      ok: false,
      failure: new ApiFailure(400, "invalid_json", "the body is empty; expected JSON", [
        { path: "", message: "Expected a JSON body" },
      ]),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      failure: new ApiFailure(400, "invalid_json", `the body is not valid JSON: ${message}`, [
        { path: "", message },
      ]),
    };
  }
  // The full walk, with paths, only for a body that may have a flaw.
  const bad = mayHoldSurrogate.test(text) || tooDeep(value, 0) ? flawOf(value, "", 0) : undefined;
  if (bad === undefined) return { ok: true, value };
  const message = flawMessage[bad.flaw];
  return {
    ok: false,
    failure: new ApiFailure(400, "invalid_input", `${bad.path || "the body"}: ${message}`, [
      { path: bad.path, message },
    ]),
  };
};
