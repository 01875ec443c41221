/**
 * The scheduler actor: the Scheduler (src/scheduler) behind a mailbox, owned by one fiber.
 * Everyone else sends it messages; only its fiber touches ClusterState. Each turn takes every
 * message waiting, then runs one placement pass and hands the placements on: a burst of a
 * thousand submissions costs one pass, not a thousand.
 *
 * Heartbeats skip the mailbox (`heartbeat`): they only write a worker's telemetry columns, need
 * no pass, and arrive ten thousand a second in a large cluster.
 *
 * `placeNow` is the other way in, for a job being created: when nothing waits in the mailbox
 * or the queue (so no message or job is overtaken), the job is placed in the caller's turn, and
 * its creator writes it `scheduled` in the commit that creates it. Otherwise it is queued as
 * usual once it exists.
 *
 * A job held by a rate limit leaves the scheduler due at `wakeAt`: after each turn one timer
 * (Effect's clock: a test clock drives it) is set for the earliest such time, and sends `wake`.
 */
import { Duration, Effect, Fiber, type Scope } from "effect";
import {
  Scheduler,
  type Placement,
  type QueueStats,
  type SchedulerMessage,
} from "../scheduler/scheduler.ts";
import type { QueuedJob } from "../scheduler/job-queue.ts";
import type { Explanation } from "../scheduler/explain.ts";
import type { WorkerView } from "../scheduler/cluster-state.ts";
import type { Telemetry } from "../domain/worker.ts";
import type { SchedulerConfig } from "../scheduler/scheduler.ts";

export interface SchedulerActor {
  readonly send: (message: SchedulerMessage) => void;
  readonly heartbeat: (
    workerId: string,
    telemetry: Telemetry,
    at: number,
  ) => "ok" | "unknown" | "lost";
  /**
   * Places a job not yet created, at once, if the scheduler is idle and has room: the
   * reservation is made; the caller sends `release` if the job is not created after all.
   * `undefined` leaves nothing behind (the job is queued when it exists).
   */
  readonly placeNow: (job: QueuedJob, at: number) => Placement | undefined;
  /** Queries answer from the actor's own state, as copies. */
  readonly explain: (jobId: string) => Explanation | undefined;
  /** Whether, and why not, a job not yet submitted could be placed (its `never`: no worker ever). */
  readonly explainNew: (job: QueuedJob) => Explanation;
  readonly workers: () => ReadonlyArray<WorkerView>;
  readonly queued: () => number;
  /** Queued jobs by priority, highest first. */
  readonly queuedByPriority: () => ReadonlyArray<readonly [priority: number, jobs: number]>;
  readonly reservations: () => number;
  /** Named queues: their settings and counts now. */
  readonly queueStats: () => ReadonlyMap<string, QueueStats>;
  /** Waits until the mailbox is empty and the last pass has handed its placements on. */
  readonly settled: Effect.Effect<void>;
  readonly busy: () => boolean;
}

export const makeSchedulerActor = (
  config: SchedulerConfig,
  now: () => number,
  onPlacements: (placements: ReadonlyArray<Placement>) => void,
): Effect.Effect<SchedulerActor, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scheduler = new Scheduler(config);
    let mailbox: SchedulerMessage[] = [];
    const work = Effect.unsafeMakeLatch(false);
    const idle = Effect.unsafeMakeLatch(true);
    const scope = yield* Effect.scope;
    let timer: { readonly at: number; readonly fiber: Fiber.RuntimeFiber<void> } | undefined;

    const send = (m: SchedulerMessage) => {
      mailbox.push(m);
      idle.unsafeClose();
      work.unsafeOpen();
    };

    /** One timer, for the earliest time a held job may go; a later one waits its turn. */
    const arm = Effect.suspend(() => {
      const at = scheduler.wakeAt;
      if (!Number.isFinite(at) || (timer !== undefined && timer.at <= at)) return Effect.void;
      const previous = timer;
      // The delay is read when the fiber starts, not when it is forked: the clock may have moved.
      const wait = Effect.suspend(() =>
        Effect.sleep(Duration.millis(Math.max(0, at - now()))),
      ).pipe(
        Effect.andThen(
          Effect.sync(() => {
            timer = undefined;
            send({ type: "wake" });
          }),
        ),
      );
      return Effect.forkIn(wait, scope).pipe(
        Effect.tap((fiber) => {
          timer = { at, fiber };
          return previous === undefined ? Effect.void : Fiber.interruptFork(previous.fiber);
        }),
        Effect.asVoid,
      );
    });

    const turn = Effect.sync(() => {
      work.unsafeClose();
      const messages = mailbox;
      mailbox = [];
      for (const m of messages) {
        // A lost worker's jobs go back to the queue through their own actors (which may also
        // decide that a job's attempts are spent), not straight from the scheduler.
        if (m.type === "lost") scheduler.lost(m.workerId, m.at, false);
        else scheduler.handle(m);
      }
      const placements = scheduler.schedule(now());
      if (placements.length > 0) onPlacements(placements);
    }).pipe(
      // Settled only once the timer for held jobs is set: a clock moved after `settled` finds it.
      Effect.zipRight(arm),
      Effect.zipRight(
        Effect.sync(() => {
          if (mailbox.length === 0) idle.unsafeOpen();
        }),
      ),
    );

    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(work.await, turn)));

    return {
      send,
      settled: idle.await,
      busy: () => mailbox.length > 0,
      heartbeat: (workerId, telemetry, at) => scheduler.heartbeat(workerId, telemetry, at),
      placeNow: (job, at) => {
        if (mailbox.length > 0 || scheduler.queue.size > 0) return undefined;
        scheduler.handle({ type: "enqueue", job });
        const placements = scheduler.schedule(at);
        const placed = placements.find((p) => p.jobId === job.jobId);
        if (placed === undefined) scheduler.handle({ type: "dequeue", jobId: job.jobId });
        const others = placements.filter((p) => p !== placed);
        if (others.length > 0) onPlacements(others);
        return placed;
      },
      explain: (jobId) => scheduler.explain(jobId, now()),
      explainNew: (job) => scheduler.explainNew(job),
      workers: () => scheduler.workers(),
      queued: () => scheduler.queue.size,
      queuedByPriority: () => scheduler.queue.depthByPriority(),
      reservations: () => scheduler.state.reservations.size,
      queueStats: () => scheduler.queueStats(now()),
    };
  });
