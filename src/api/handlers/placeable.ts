/**
 * `POST /jobs?requirePlaceable=1`: refuse, before anything is written, a job that no registered
 * worker could ever take (a label or handler none has, a demand above every capacity).
 *
 * Without the flag such a job is accepted and stays queued, with the reason at
 * `/jobs/:id/placement`: a matching worker may register later, and a submit that depends on
 * who happens to be connected would be surprising. The check uses the scheduler's own
 * `explain` over a copy of the registered workers, so it says what `/placement` would say.
 */
import { Effect, Either } from "effect";
import { decodeJobSpec } from "../../domain/decode.ts";
import { ClusterState } from "../../scheduler/cluster-state.ts";
import { explain } from "../../scheduler/explain.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import { queuedJobOf } from "../../supervisor/routing.ts";
import { ApiFailure } from "../errors.ts";

export const requirePlaceable = (core: SupervisorCore, body: unknown) =>
  Effect.suspend(() => {
    const spec = decodeJobSpec(body);
    // An invalid spec is the core's to refuse, with every issue.
    if (Either.isLeft(spec)) return Effect.void;
    const state = new ClusterState();
    for (const w of core.scheduler.workers()) {
      state.upsert(w.id, w.capacity, w.labels, w.handlers, w.lastHeartbeatAt);
    }
    const verdict = explain(state, queuedJobOf("unsubmitted", spec.right, 0));
    return verdict.never
      ? Effect.fail(new ApiFailure(422, "unplaceable", verdict.reason, { reason: verdict.reason }))
      : Effect.void;
  });
