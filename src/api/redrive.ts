/**
 * `POST /api/v1/jobs/redrive`: finished jobs run again, named by id or found by a filter (the
 * dead letters: failed and timed-out jobs by default, of a handler, with an error text,
 * changed since a time). Each is the same job run again (core.redrive): its next attempt,
 * its history kept. One that cannot be (not finished any more, attempts exhausted) is listed
 * with the reason; the others go on.
 */
import { Effect, Either, Schema } from "effect";
import { JobId } from "../domain/ids.ts";
import { literals } from "../domain/primitives.ts";
import type { SupervisorCore } from "../supervisor/core.ts";
import { SinceParam, sinceAt } from "./since.ts";

const opt = <S extends Schema.Schema.All>(s: S) => Schema.optionalWith(s, { exact: true });

export const RedriveRequest = Schema.Struct({
  ids: opt(Schema.Array(JobId).pipe(Schema.minItems(1), Schema.maxItems(1000))),
  state: opt(
    Schema.Array(literals("failed", "timed_out", "cancelled", "succeeded")).annotations({
      description: "the final states to take (default failed and timed_out)",
    }),
  ),
  handler: opt(Schema.String),
  error: opt(Schema.String.annotations({ description: "text the job's error contains" })),
  since: opt(SinceParam),
  limit: opt(
    Schema.Int.pipe(Schema.between(1, 1000)).annotations({
      description: "at most this many (default 100), the oldest first",
    }),
  ),
}).pipe(
  Schema.filter((r) =>
    r.ids !== undefined && (r.state ?? r.handler ?? r.error ?? r.since ?? r.limit) !== undefined
      ? { path: ["ids"], message: "give ids, or a filter (state, handler, error, since), not both" }
      : undefined,
  ),
  Schema.annotations({ identifier: "RedriveRequest" }),
);

export const RedriveResult = Schema.Struct({
  redriven: Schema.Array(
    Schema.Struct({ id: Schema.String, state: Schema.String, attempt: Schema.Number }),
  ),
  refused: Schema.Array(Schema.Struct({ id: Schema.String, reason: Schema.String })),
}).annotations({ identifier: "RedriveResult" });

export const redrive = (core: SupervisorCore, r: typeof RedriveRequest.Type) =>
  Effect.gen(function* () {
    const ids =
      r.ids ??
      (yield* core.jobs.list({
        state: r.state ?? ["failed", "timed_out"],
        ...(r.handler !== undefined ? { handler: r.handler } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.since !== undefined ? { updatedSince: sinceAt(r.since, core.now()) } : {}),
        limit: r.limit ?? 100,
      })).jobs.map((j) => j.id);
    const results = yield* Effect.forEach(ids, (id) => Effect.either(core.redrive(id)), {
      concurrency: 16,
    });
    const redriven: Array<{ id: string; state: string; attempt: number }> = [];
    const refused: Array<{ id: string; reason: string }> = [];
    results.forEach((res, i) => {
      if (Either.isRight(res)) {
        redriven.push({ id: res.right.id, state: res.right.state, attempt: res.right.attempt });
      } else if (res.left._tag === "StoreError") {
        refused.push({ id: ids[i]!, reason: `the store failed: ${res.left.message}` });
      } else refused.push({ id: ids[i]!, reason: res.left.message });
    });
    return { redriven, refused };
  });
