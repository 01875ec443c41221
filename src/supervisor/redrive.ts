/**
 * Redrive: a finished job run again as the same job. Its actor is worked out afresh from the
 * job's history (its attempt counter goes on; the retry policy's attempts and the bounces start
 * again) and committed with the job leaving its final state (`jobs.reopen`: only from one, so
 * two redrives of one job make one run); then it is live, and its `queued` goes to the
 * scheduler. The old record, history included, is what the new one grows from: nothing of it
 * is lost.
 */
import { Effect, Either } from "effect";
import type { HistoryLine, JobEffect, JobInput } from "../../actors/job.ts";
import { Conflict, type NotFound } from "../domain/errors.ts";
import type { Job } from "../domain/job.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import { isTerminalJobState } from "../domain/job-state.ts";
import { maxAttemptNumber, maxBounces } from "../domain/retry.ts";
import { notFinished, type Store, type StoreError } from "../persistence/index.ts";
import { jobAddress, type SupervisorKinds } from "./kinds.ts";
import type { ActorSystem } from "../runtime/system.ts";

export const makeRedrive =
  (deps: {
    readonly store: Store;
    readonly system: ActorSystem<SupervisorKinds>;
    readonly jobInput: (job: Job) => JobInput;
    /** The job is live again: the core holds its spec. */
    readonly live: (jobId: string, spec: JobSpec) => void;
    readonly route: (effect: JobEffect) => void;
  }) =>
  (jobId: string): Effect.Effect<Job, NotFound | Conflict | StoreError> =>
    Effect.gen(function* () {
      const { store, system } = deps;
      const job = yield* store.jobs.get(jobId);
      if (!isTerminalJobState(job.state)) return yield* notFinished(jobId, job.state);
      if (job.attempt + job.spec.retry.maxAttempts + maxBounces > maxAttemptNumber) {
        return yield* new Conflict({
          message: `job ${jobId} has had ${job.attempt} attempts: no more can be recorded`,
        });
      }
      const history = job.transitions.map((t): HistoryLine =>
        t.workerId !== undefined
          ? [t.state, t.at, t.workerId]
          : t.exitCode !== undefined
            ? [t.state, t.at, t.exitCode]
            : [t.state, t.at],
      );
      const input: JobInput = {
        ...deps.jobInput(job),
        runAt: null,
        at: system.now(),
        resume: { attempt: job.attempt, history },
      };
      const prepared = system.prepare(jobAddress(jobId), input, []);
      const reopened = yield* store.jobs.reopen(jobId, prepared.record);
      deps.live(jobId, job.spec);
      const adopted = yield* Effect.either(system.adopt(prepared));
      // Only when the system is closing (a finished actor gives its address up): the record is
      // durable, and the next start runs it.
      if (Either.isLeft(adopted)) return yield* Effect.die(adopted.left);
      for (const e of prepared.initialEffects as ReadonlyArray<JobEffect>) deps.route(e);
      return reopened;
    });
