/**
 * `POST /jobs?requirePlaceable=1`: refuse, before anything is written, a job that no registered
 * worker could ever take (a label or handler none has, a demand above every capacity).
 *
 * Without the flag such a job is accepted and stays queued, with the reason at
 * `/jobs/:id/placement`: a matching worker may register later, and a submit that depends on
 * who happens to be connected would be surprising. The check is the scheduler's own `explain`
 * over the workers it holds (`core.jobs.explainSpec`), so it says what `/placement` would say.
 */
import { Effect, Either } from "effect";
import { decodeJobSpec } from "../../domain/decode.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import { ApiFailure } from "../errors.ts";

export const requirePlaceable = (core: Pick<SupervisorCore, "jobs">, body: unknown) =>
  Effect.suspend(() => {
    const spec = decodeJobSpec(body);
    // An invalid spec is the core's to refuse, with every issue.
    if (Either.isLeft(spec)) return Effect.void;
    const verdict = core.jobs.explainSpec(spec.right);
    return verdict.never
      ? Effect.fail(new ApiFailure(422, "unplaceable", verdict.reason, { reason: verdict.reason }))
      : Effect.void;
  });
