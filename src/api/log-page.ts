/**
 * `GET /jobs/:id/logs`: one page of a job's log, `{ chunks, nextSeq, truncated }` (the LogPage
 * schema), streamed. The store is read a slice at a time (at most `sliceChunks` chunks and
 * about `sliceBytes` of text) and each slice is written only once the client has taken the
 * one before (`drain`), so a reader costs the supervisor one slice and a socket buffer, however
 * big the page and however many read at once. Nothing is written until the first slice is
 * read: a store fault before that is an ordinary error answer (503); after it, the response
 * is cut short (the client sees a broken body, never a wrong one).
 */
import type { ServerResponse } from "node:http";
import { Effect } from "effect";
import type { StoreError } from "../persistence/errors.ts";
import { defaultReadLimit, type LogPage, type LogStore } from "../persistence/logs.ts";

export const sliceChunks = 256;
export const sliceBytes = 256 * 1024;

/** Resolves when `res` can take more, or has closed (then `false`). */
const drained = (res: ServerResponse) =>
  Effect.async<boolean>((resume) => {
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const done = (open: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resume(Effect.succeed(open));
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });

export const streamLogPage = (
  logs: Pick<LogStore, "read">,
  jobId: string,
  options: { readonly fromSeq?: number; readonly limit?: number },
  res: ServerResponse,
): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    const limit = options.limit ?? defaultReadLimit;
    const slice = (fromSeq: number, sent: number): Effect.Effect<LogPage, StoreError> =>
      logs.read(jobId, {
        fromSeq,
        limit: Math.min(sliceChunks, limit - sent),
        maxBytes: sliceBytes,
      });
    let page = yield* slice(options.fromSeq ?? 1, 0);
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"chunks":[');
    let sent = 0;
    for (;;) {
      for (const chunk of page.chunks) {
        const open = res.write((sent++ === 0 ? "" : ",") + JSON.stringify(chunk));
        if (!open && !(yield* drained(res))) return;
      }
      if (page.chunks.length === 0 || sent >= limit) break;
      const next = yield* Effect.either(slice(page.nextSeq, sent));
      if (next._tag === "Left") return void res.destroy(next.left);
      if (next.right.chunks.length === 0) break;
      page = next.right;
    }
    res.end(`],"nextSeq":${page.nextSeq},"truncated":${page.truncated}}`);
  });
