/**
 * The jobs of pipeline steps: created, cancelled, and reported back to their runs.
 *
 * A step's job is created with the idempotency key `pipeline/<runId>/<key>`, so submitting it
 * again (after a crash between the actor's commit and the submit, or at recovery) finds the same
 * job, and a finished job names the run and step it belongs to without any table in memory.
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
import type { CreateResult, Store, StoreError } from "../persistence/index.ts";
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

  return {
    submit: (e: Extract<PipelineEffect, { type: "pipeline.submit" }>) => {
      const key = stepJobKey(e.runId, e.key);
      const spec = { name: stepNameOf(e.step), ...e.spec, idempotencyKey: key };
      submitting.add(key);
      return deps
        .submitStep(spec, { runId: e.runId as PipelineRunId, step: stepNameOf(e.step) })
        .pipe(
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
    /** A job ended: if it is a step's, its run is told. */
    jobFinished: (
      spec: JobSpec | undefined,
      effect: Extract<JobEffect, { type: "job.transitioned" }>,
    ): void => {
      const step = stepOfKey(spec?.idempotencyKey);
      if (step === undefined) return;
      const outcome = outcomeOf(effect.jobId, effect.state, effect.result);
      tell(step.runId, { type: "step_finished", at: effect.at, key: step.key, outcome });
    },
  };
};
