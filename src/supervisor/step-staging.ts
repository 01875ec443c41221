/**
 * The jobs of pipeline steps, staged: created in the commit of the run's state that started
 * them (the actor system's `stage`), so that neither is durable without the other and a step
 * costs one commit, not two.
 *
 * A step's job is decoded and made ready during the round, as the supervisor makes any job
 * ready: placed ahead when the scheduler can place it at once (its actor's `scheduled` record
 * commits with its row), parked when it is delayed, else queued once created. Once the commit
 * ended, `created` finishes it the same way a submit would. A spec that does not decode is not
 * staged: the step's submit reports it. A job whose existing row could not be read (its key
 * found a corrupt one) is created the usual way, which fails it with the reason.
 */
import { Effect, Either } from "effect";
import { decodeJobSpec } from "../domain/decode.ts";
import { newJobId, type PipelineRunId } from "../domain/ids.ts";
import { newJob, type Job } from "../domain/job.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import type { CreateResult, StagedJob, StoreError } from "../persistence/index.ts";
import type { Prepared } from "../runtime/system.ts";
import type { Placement } from "../scheduler/scheduler.ts";

/** A job placed before it is created: its reservation, and its actor worked out. */
export interface Ahead {
  readonly placement: Placement;
  readonly prepared: Prepared;
}

export interface StepStagingDeps {
  readonly now: () => number;
  readonly placeAhead: (job: Job) => Ahead | undefined;
  readonly placedCreated: (job: Job, ahead: Ahead, r: CreateResult) => Effect.Effect<void>;
  readonly prepareDelayed: (job: Job) => Prepared | undefined;
  readonly park: (r: CreateResult, prepared: Prepared | undefined, spec: JobSpec) => void;
  readonly accept: (r: CreateResult) => Effect.Effect<CreateResult>;
  readonly create: (job: Job) => Effect.Effect<CreateResult, StoreError>;
  readonly release: (jobId: string) => void;
}

/** What is left to do for a staged job once its commit ended. */
interface Then {
  readonly created: (r: CreateResult) => Effect.Effect<void>;
  /** It was not created after all: its reservation goes back. */
  readonly abandon?: () => void;
}

export const makeStepStaging = (deps: StepStagingDeps) => {
  const then = new WeakMap<StagedJob, Then>();
  const staged = (s: StagedJob, t: Then): StagedJob => {
    then.set(s, t);
    return s;
  };
  return {
    stage: (
      input: unknown,
      step: { readonly runId: PipelineRunId; readonly step: string },
    ): StagedJob | undefined => {
      const spec = decodeJobSpec(input);
      if (Either.isLeft(spec)) return undefined;
      // One clock reading: the id holds the creation time (job-virtual.ts counts on it).
      const now = deps.now();
      const job = newJob(newJobId(now), spec.right, now, step);
      let delayed: Prepared | undefined;
      try {
        delayed = deps.prepareDelayed(job);
      } catch {
        // The machine refused to be worked out ahead: the step's submit creates it.
        return undefined;
      }
      if (delayed !== undefined) {
        const park = (r: CreateResult) => Effect.sync(() => deps.park(r, delayed, job.spec));
        return staged({ job, record: delayed.record }, { created: park });
      }
      const ahead = deps.placeAhead(job);
      if (ahead === undefined) {
        return staged({ job }, { created: (r) => Effect.asVoid(deps.accept(r)) });
      }
      return staged(
        { job, record: ahead.prepared.record },
        { created: (r) => deps.placedCreated(job, ahead, r), abandon: () => deps.release(job.id) },
      );
    },
    /** A staged job, once the commit that carried it ended. */
    created: (s: StagedJob): Effect.Effect<CreateResult, StoreError> =>
      Effect.suspend(() => {
        const { job, result } = s;
        const t = then.get(s);
        then.delete(s);
        if (result === undefined || t === undefined) {
          t?.abandon?.();
          return deps.create(job);
        }
        // A commit tried again after its first try committed finds the job it created.
        const r = result.created || result.job.id !== job.id ? result : { job, created: true };
        return t.created(r).pipe(Effect.as(r));
      }),
  };
};
