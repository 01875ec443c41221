/**
 * The simulated supervisor carrying out a pipeline actor's effects, as
 * src/supervisor/pipeline-host.ts does (its key format and outcome builder are reused):
 *
 * - `pipeline.submit`: `latencyMs` later (the submit's I/O), the step's spec, named after the
 *   step and keyed `pipeline/<runId>/<key>`, is decoded like any submission. Refused, the step
 *   finishes `invalid`. Accepted, the job is created, or found by its key (a re-submit at
 *   recovery), `step_started` is told, and a job already ended is reported at once; a key
 *   cancelled while its submit was in flight is cancelled now.
 * - `pipeline.cancel_step`: the job is cancelled; without a job id, the key is remembered for a
 *   submit still in flight (cancelled once the job exists), else the job found by its key is.
 * - a step's job ending: `step_finished`, with the outcome the host builds.
 *
 * It also names each new key `step#n` for the trace. The remembered keys are the host's memory:
 * a restart forgets them. This mirrors the host's logic rather than running it (the host needs
 * a live actor system and store): a change to pipeline-host.ts belongs here too.
 */
import { Either } from "effect";
import type { PipelineEffect, PipelineMessage } from "../../actors/pipeline.ts";
import { decodeJobSpec } from "../domain/decode.ts";
import { stepJobKey } from "../supervisor/step-jobs.ts";
import { outcomeOf, stepNameOf } from "../supervisor/run-view.ts";
import type { VirtualClock } from "./clock.ts";
import type { JobTransition, JobWorld, SimJob } from "./jobs.ts";
import type { StepRef, TraceEvent } from "./trace.ts";

export interface HostEffectsDeps {
  readonly clock: VirtualClock;
  readonly world: () => JobWorld;
  readonly record: (e: TraceEvent) => void;
  /** Into the pipeline actor's mailbox. */
  readonly tell: (m: PipelineMessage) => void;
  readonly latencyMs: number;
}

type Submit = Extract<PipelineEffect, { type: "pipeline.submit" }>;

export const makeHostEffects = (deps: HostEffectsDeps) => {
  const { clock, record, tell } = deps;
  const refs = new Map<string, StepRef>();
  const invocations = new Map<string, number>();
  const refused = new Set<string>();
  let cancelledKeys = new Set<string>();
  // Submits scheduled and not yet carried out: the host's `submitting`.
  let pending = new Set<string>();

  const submit = (e: Submit) => {
    const world = deps.world();
    const ref = refs.get(e.key)!;
    // Decoded before the idempotent create, as the supervisor does: a re-submit at recovery
    // sends the spec the actor reads back from its snapshot, and it must still decode.
    const key = stepJobKey(e.runId, e.key);
    const decoded = decodeJobSpec({ name: stepNameOf(e.step), ...e.spec, idempotencyKey: key });
    if (Either.isLeft(decoded)) {
      const message = decoded.left.message;
      refused.add(e.key);
      record({ type: "invalid", at: clock.now(), ...ref, message });
      const error = { jobId: null, state: "invalid" as const, message, exitCode: null };
      const outcome = { ok: false as const, error };
      return tell({ type: "step_finished", at: clock.now(), key: e.key, outcome });
    }
    const job = world.byKey(e.key) ?? world.create(ref, e.key, decoded.right);
    tell({ type: "step_started", at: clock.now(), key: e.key, jobId: job.jobId });
    if (job.endedAt !== null) {
      const state = job.snapshot.value as JobTransition["state"];
      const outcome = outcomeOf(job.jobId, state, job.snapshot.context.result);
      tell({ type: "step_finished", at: clock.now(), key: e.key, outcome });
    } else if (cancelledKeys.delete(e.key)) world.cancel(job.jobId);
  };

  const perform = (e: PipelineEffect) => {
    if (e.type === "pipeline.submit") {
      if (!refs.has(e.key)) {
        const invocation = (invocations.get(e.step) ?? 0) + 1;
        invocations.set(e.step, invocation);
        refs.set(e.key, { step: e.step, invocation });
        record({ type: "submitted", at: clock.now(), step: e.step, invocation });
      }
      pending.add(e.key);
      clock.schedule(clock.now() + deps.latencyMs, "host", () => {
        pending.delete(e.key);
        submit(e);
      });
    } else if (e.type === "pipeline.cancel_step") {
      const ref = refs.get(e.key);
      if (ref) record({ type: "cancel_requested", at: clock.now(), ...ref, jobId: e.jobId });
      const jobId = e.jobId ?? (pending.has(e.key) ? undefined : deps.world().byKey(e.key)?.jobId);
      if (jobId !== undefined) deps.world().cancel(jobId);
      else if (pending.has(e.key)) cancelledKeys.add(e.key);
    }
  };

  return {
    perform,
    jobEnded: (job: SimJob, t: JobTransition) => {
      const outcome = outcomeOf(job.jobId, t.state, t.result);
      tell({ type: "step_finished", at: t.at, key: job.key, outcome });
    },
    refOf: (key: string) => refs.get(key),
    /** Its spec was refused: no job will ever exist for it. */
    refused: (key: string) => refused.has(key),
    /** A restart: what the host remembered is gone. */
    forget: () => {
      cancelledKeys = new Set();
      pending = new Set();
    },
  };
};
