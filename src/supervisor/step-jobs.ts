/**
 * The jobs of pipeline steps: created, cancelled, and reported back to their runs.
 *
 * A step's job is created with the idempotency key `pipeline/<runId>/<key>`, so submitting it
 * again (at recovery) finds the same job, and a finished job names the run and step it belongs
 * to without any table in memory.
 *
 * It is created in the commit that records the run's state which started the step (`stage`,
 * called by the actor system before that commit): the job is durable exactly when the run's
 * record of the key it was given is, and the step costs one commit, not two (step-staging.ts).
 * A spec that does not decode, or a store that cannot create jobs in a snapshot commit, is
 * submitted after the commit instead (a crash in between re-submits the same key).
 *
 * A step can be stopped before its job is known to its run (the submit still in flight, or done
 * but its `step_started` not yet delivered, or the supervisor restarted in between). Its cancel
 * then carries only the key: a submit in flight cancels the job as soon as it exists; otherwise
 * the job is looked up by its key among its run's jobs and cancelled. Nothing is left running
 * for a run that no longer wants it (the `hodei/testing` simulation found the gap this closes).
 */
import { Effect, Schedule } from "effect";
import type { JobEffect } from "../../actors/job.ts";
import type { PipelineEffect, PipelineMessage } from "../../actors/pipeline.ts";
import type { InvalidInput, NotFound } from "../domain/errors.ts";
import type { PipelineRunId } from "../domain/ids.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import { isTerminalJobState } from "../domain/job-state.ts";
import type { CreateResult, StagedJob, Store, StoreError } from "../persistence/index.ts";
import { pipelineAddress } from "./kinds.ts";
import { outcomeOf, stepNameOf } from "./run-view.ts";

const keyPrefix = "pipeline/";
export const stepJobKey = (runId: string, key: string): string => `${keyPrefix}${runId}/${key}`;

/** The run and step key of a pipeline step's job, from its idempotency key. */
const stepOfKey = (idempotencyKey: string | undefined) => {
  if (idempotencyKey === undefined || !idempotencyKey.startsWith(keyPrefix)) return undefined;
  const rest = idempotencyKey.slice(keyPrefix.length);
  const slash = rest.indexOf("/");
  return slash < 0 ? undefined : { runId: rest.slice(0, slash), key: rest.slice(slash + 1) };
};

export interface StepJobDeps {
  readonly store: Store;
  readonly submitStep: (
    spec: unknown,
    step: { readonly runId: PipelineRunId; readonly step: string },
  ) => Effect.Effect<CreateResult, InvalidInput | StoreError>;
  readonly stageStep: (
    spec: unknown,
    step: { readonly runId: PipelineRunId; readonly step: string },
  ) => StagedJob | undefined;
  readonly stagedCreated: (staged: StagedJob) => Effect.Effect<CreateResult, StoreError>;
  readonly cancelJob: (jobId: string) => Effect.Effect<void, NotFound>;
  readonly tell: (runId: string, message: PipelineMessage) => void;
  /** The actor system's clock: what the messages to the runs are stamped with. */
  readonly now: () => number;
}

export const makeStepJobs = (deps: StepJobDeps) => {
  const { tell, now } = deps;
  const submitting = new Set<string>();
  // Keys cancelled while their submit was in flight: cancelled as soon as the job exists.
  const cancelledKeys = new Set<string>();
  const cancel = (jobId: string) => Effect.ignore(deps.cancelJob(jobId));

  const byKey = (runId: string, key: string) =>
    Effect.gen(function* () {
      let cursor: string | undefined;
      do {
        const page = yield* deps.store.jobs.list({
          pipelineRunId: runId,
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        const job = page.jobs.find((j) => j.spec.idempotencyKey === key);
        if (job !== undefined) return yield* cancel(job.id);
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
    }).pipe(Effect.ignore);

  type Submit = Extract<PipelineEffect, { type: "pipeline.submit" }>;
  type Transitioned = Extract<JobEffect, { type: "job.transitioned" }>;
  /** Ends of step jobs their runs were told of in the round (`relayFinished`). */
  const relayed = new WeakSet<Transitioned>();
  const stepFinished = (spec: JobSpec | undefined, effect: Transitioned) => {
    const step = stepOfKey(spec?.idempotencyKey);
    if (step === undefined) return undefined;
    const outcome = outcomeOf(effect.jobId, effect.state, effect.result);
    const message: PipelineMessage = {
      type: "step_finished",
      at: effect.at,
      key: step.key,
      outcome,
    };
    return { runId: step.runId, message };
  };
  const specOf = (e: Submit) => ({
    name: stepNameOf(e.step),
    ...e.spec,
    idempotencyKey: stepJobKey(e.runId, e.key),
  });
  const stepOf = (e: Submit) => ({ runId: e.runId as PipelineRunId, step: stepNameOf(e.step) });
  /** Submits whose jobs ride the commit of the run's state that asked for them. */
  const staged = new WeakMap<Submit, StagedJob>();

  return {
    /** The job of a submit, to create in the commit of the run's state (see the header). */
    stage: (e: Submit): StagedJob | undefined => {
      const s = deps.stageStep(specOf(e), stepOf(e));
      if (s !== undefined) staged.set(e, s);
      return s;
    },
    submit: (e: Submit) => {
      const spec = specOf(e);
      const key = spec.idempotencyKey;
      const s = staged.get(e);
      submitting.add(key);
      return (s !== undefined ? deps.stagedCreated(s) : deps.submitStep(spec, stepOf(e))).pipe(
        Effect.retry({
          while: (x) => x._tag === "StoreError",
          schedule: Schedule.exponential(50),
          times: 5,
        }),
        Effect.ensuring(Effect.sync(() => submitting.delete(key))),
        Effect.match({
          onFailure: (x) => {
            const error = {
              jobId: null,
              state: "invalid" as const,
              message: x.message,
              exitCode: null,
            };
            tell(e.runId, {
              type: "step_finished",
              at: now(),
              key: e.key,
              outcome: { ok: false, error },
            });
          },
          onSuccess: ({ job }) => {
            tell(e.runId, { type: "step_started", at: now(), key: e.key, jobId: job.id });
            if (isTerminalJobState(job.state)) {
              const outcome = outcomeOf(job.id, job.state, job.result);
              tell(e.runId, { type: "step_finished", at: now(), key: e.key, outcome });
            } else if (cancelledKeys.delete(key)) Effect.runFork(cancel(job.id));
          },
        }),
      );
    },
    /** Cancels a stopped step's job, by id when known, else by its key (see the header). */
    cancel: (runId: string, key: string, jobId: string | null): Effect.Effect<void> => {
      if (jobId !== null) return cancel(jobId);
      const full = stepJobKey(runId, key);
      if (submitting.has(full)) return Effect.sync(() => void cancelledKeys.add(full));
      return byKey(runId, full);
    },
    /** A job ended: if it is a step's, its run is told, unless it was in the round. */
    jobFinished: (spec: JobSpec | undefined, effect: Transitioned): void => {
      if (relayed.delete(effect)) return;
      const step = stepFinished(spec, effect);
      if (step !== undefined) tell(step.runId, step.message);
    },
    /**
     * A job is ending in this round: if it is a step's and its run is live, the run is told in
     * the same round, so its next step commits with the job's result (the actor system's
     * `relay`). Otherwise `jobFinished` tells it after the commit.
     */
    relayFinished: (
      spec: JobSpec,
      effect: Transitioned,
      deliver: (to: string, message: PipelineMessage) => boolean,
    ): void => {
      const step = stepFinished(spec, effect);
      if (step !== undefined && deliver(pipelineAddress(step.runId), step.message)) {
        relayed.add(effect);
      }
    },
  };
};
