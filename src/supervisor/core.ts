/**
 * The supervisor core: the actor system, the scheduler actor, the store and the bus, wired
 * together. Transport-free: the HTTP API calls its methods, the worker protocol calls its
 * `inbound` and gives it a `WorkerGateway`.
 *
 * A job's way through it: `submit` writes the job row (the acknowledgement: durable), spawns
 * the job actor, whose `queued` effect reaches the scheduler at once (the row is the durable
 * form of that state: nothing more to commit); the scheduler reserves capacity and sends
 * `schedule`; the job's `job.assign` effect goes out to the agent after `scheduled` commits.
 * When the scheduler is idle and has room, a single `submit` skips a commit: the job is placed
 * first and created `scheduled` (its row and its actor's record in one commit, `createOne`).
 * Either way the agent's reports come back through `inbound` and are acknowledged once committed;
 * the agent's reports come back through `inbound` and are acknowledged once committed; the
 * final state releases the reservation and frees the worker.
 *
 * Start-up recovers: job and worker actors from their snapshots (timers re-armed), job rows
 * that never got an actor, the queue, and where jobs were placed (their reservations come back
 * when their agents reconnect; workers that do not come back are lost at their deadline).
 */
import { Effect, Either, Exit, Schedule, type Scope } from "effect";
import type { Bus } from "../bus/index.ts";
import { decodeJobSpec, decodeParsedJobSpec } from "../domain/decode.ts";
import { Conflict, InvalidInput, NotFound } from "../domain/errors.ts";
import { newJobId, type JobId, type PipelineRunId } from "../domain/ids.ts";
import { newJob, type Job } from "../domain/job.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import { dueAt } from "../domain/delay.ts";
import { internSpec } from "../domain/spec-intern.ts";
import { isTerminalJobState, type JobState } from "../domain/job-state.ts";
import {
  CorruptRecord,
  unfinishedJobStates,
  type Store,
  type StoreError,
  type CreateResult,
  type QueueRow,
} from "../persistence/index.ts";
import {
  hodeiBehaviours,
  jobAddress,
  pipelineBehaviour,
  workerAddress,
  type SupervisorKinds,
} from "./kinds.ts";
import {
  makePipelineRegistry,
  type Pipeline,
  type PipelineRegistry,
} from "../pipeline/pipeline.ts";
import { executionOf } from "../runtime/behaviour.ts";
import { makeActorSystem, type ActorSystem, type Prepared } from "../runtime/system.ts";
import { defaultCoreConfig, type CoreConfig } from "./config.ts";
import type { AgentInbound, WorkerGateway } from "./gateway.ts";
import { makeInbound } from "./inbound.ts";
import { makePipelineHost, type PipelineHost } from "./pipeline-host.ts";
import { makeStepStaging, type Ahead } from "./step-staging.ts";
import {
  announceJob,
  flushWorkerChanges,
  queuedJobOf,
  routeJobEffect,
  routeWorkerEffect,
  type RoutingContext,
} from "./routing.ts";
import type { JobEffect } from "../../actors/job.ts";
import type { Placement } from "../scheduler/scheduler.ts";
import { JobSpecs } from "./job-virtual.ts";
import { makeSchedulerActor, type SchedulerActor } from "./scheduler-actor.ts";
import { makeRedrive } from "./redrive.ts";
import { makeSchedules, type Schedules } from "./schedules.ts";
import { placementEvents } from "./topics.ts";
import { makeWorkerPruner } from "./worker-pruning.ts";
import { makeQueueControl, type QueueControl } from "./queues.ts";
import { makeCorePorts, type CorePorts } from "./ports.ts";

/**
 * Adapters use the narrow ports (ports.ts) and the methods below; `store`, `system`,
 * `scheduler` and `bus` are for the composition root and tests, on their way out.
 */
/**
 * `parsed`: the specs are parsed JSON (an HTTP body), whose objects have only enumerable string
 * keys: they are decoded without looking for others (`keysOf`, src/domain/fast-checks.ts).
 */
export interface SubmitOptions {
  readonly parsed?: boolean;
}

export type SubmitDone = (exit: Exit.Exit<CreateResult, InvalidInput | StoreError>) => void;

export interface SupervisorCore extends CorePorts {
  readonly inbound: AgentInbound;
  readonly attachGateway: (gateway: WorkerGateway) => void;
  readonly submit: (
    spec: unknown,
    options?: SubmitOptions,
  ) => Effect.Effect<CreateResult, InvalidInput | StoreError>;
  /**
   * `submit` without an Effect: `done` is called once, with how it ended (a defect included),
   * after the commit. The HTTP API's single submits and the benches go this way: a fiber per
   * job cost more than the job's share of its commit.
   */
  readonly submitNow: (spec: unknown, options: SubmitOptions | undefined, done: SubmitDone) => void;
  readonly submitBatch: (
    specs: ReadonlyArray<unknown>,
    options?: SubmitOptions,
  ) => Effect.Effect<ReadonlyArray<CreateResult>, InvalidInput | StoreError>;
  /** `submitBatch` of specs already decoded (a schedule's firings): no decoding again. */
  readonly submitSpecs: (
    specs: ReadonlyArray<JobSpec>,
  ) => Effect.Effect<ReadonlyArray<CreateResult>, StoreError>;
  readonly cancel: (jobId: string) => Effect.Effect<void, NotFound>;
  /**
   * Runs a finished job again (redrive): the same job, its next attempt queued now, its history
   * kept and its retry policy's attempts afresh. Conflict unless it is finished.
   */
  readonly redrive: (jobId: string) => Effect.Effect<Job, NotFound | Conflict | StoreError>;
  readonly drainWorker: (workerId: string) => Effect.Effect<void, NotFound>;
  /** Forgets lost and offline workers gone since before `goneBefore` (all of them without). */
  readonly pruneWorkers: (goneBefore?: number) => Effect.Effect<ReadonlyArray<string>, StoreError>;
  readonly scheduler: SchedulerActor;
  /** Named queues: settings (pause, limits) and counts. */
  readonly queues: QueueControl;
  readonly system: ActorSystem<SupervisorKinds>;
  readonly pipelines: PipelineHost;
  readonly registry: PipelineRegistry;
  readonly store: Store;
  readonly bus: Bus;
  readonly config: CoreConfig;
  /** Waits until the actors and the scheduler have nothing left to do. */
  readonly settled: Effect.Effect<void>;
  /** Jobs not yet final that this supervisor holds. */
  readonly liveJobs: () => number;
  /** How each actor kind's machine runs: "compiled", or "xstate: <why not compiled>". */
  readonly machines: Readonly<Record<string, string>>;
  /** The cron schedules (schedules.ts). */
  readonly schedules: Schedules;
}

/** The rows recovery reads: delayed ones are parked with their actors (see `recover`). */
const recoveredStates: ReadonlyArray<JobState> = unfinishedJobStates.filter((s) => s !== "delayed");

const noGateway: WorkerGateway = { assign: () => false, cancel: () => false, drain: () => false };

export const makeSupervisorCore = (options: {
  readonly store: Store;
  readonly bus: Bus;
  readonly config?: Partial<CoreConfig>;
  /** Pipelines defined in code; more can be registered later (declarative ones, by the API). */
  readonly pipelines?: ReadonlyArray<Pipeline>;
}): Effect.Effect<SupervisorCore, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const config: CoreConfig = { ...defaultCoreConfig, ...options.config };
    const { store, bus } = options;
    let gateway = noGateway;
    const specs = new JobSpecs();
    /** A waiting job's spec, kept with its common parts shared (spec-intern.ts). */
    const keepSpec = (jobId: string, spec: JobSpec): JobSpec => {
      const kept = internSpec(spec);
      specs.set(jobId, kept);
      return kept;
    };
    const placedOn = new Map<string, string>();
    /** A job being spawned again from its row at start (see `routeJobEffect`'s `recovered`). */
    let recovering = false;
    // Filled in below: the router and the system refer to each other.
    let system!: ActorSystem<SupervisorKinds>;
    const registry = makePipelineRegistry(options.pipelines ?? []);

    const scheduleMessage = (p: Placement) => ({
      type: "schedule" as const,
      at: p.at,
      workerId: p.workerId,
      acceptBy: p.at + config.acceptTimeoutMs,
    });
    const scheduler = yield* makeSchedulerActor(
      config.scheduler,
      () => system.now(),
      (placements) => {
        for (const p of placements) {
          bus.tryPublish(placementEvents, p);
          system.send(jobAddress(p.jobId), scheduleMessage(p));
        }
      },
    );

    /**
     * Jobs queued whose spec is not in memory (delayed jobs come due), read back together: their
     * rows' state commits with their actors', after this (`eagerTicksIn`). Cancelled meanwhile,
     * or already queued by someone else, there is nothing to do.
     */
    let toQueue: Array<readonly [string, number]> = [];
    const enqueueRows = (
      due: ReadonlyArray<readonly [string, number]>,
      rows: ReadonlyArray<QueueRow | undefined>,
    ) => {
      for (let i = 0; i < due.length; i++) {
        const [jobId, at] = due[i]!;
        const row = rows[i];
        if (row === undefined || (row.open !== "queued" && row.open !== "delayed")) continue;
        if (specs.has(jobId)) continue;
        const spec = keepSpec(jobId, row.spec);
        scheduler.send({ type: "enqueue", job: queuedJobOf(jobId, spec, at) });
      }
    };
    const queueRead = () => {
      const due = toQueue;
      toQueue = [];
      const read = store.jobs.queueRows(due.map(([id]) => id));
      Effect.runCallback(read, {
        onExit: (exit) => {
          if (Exit.isSuccess(exit)) return enqueueRows(due, exit.value);
          Effect.runFork(
            read.pipe(
              Effect.retry({ times: 5, schedule: Schedule.exponential("20 millis") }),
              Effect.tap((rows) => Effect.sync(() => enqueueRows(due, rows))),
              Effect.ignore,
            ),
          );
        },
      });
    };

    const routing: RoutingContext = {
      scheduler,
      gateway: () => gateway,
      bus,
      now: () => system.now(),
      specs,
      placedOn,
      toJob: (jobId, m) => system.send(jobAddress(jobId), m),
      toWorker: (workerId, m) => system.send(workerAddress(workerId), m),
      finished: (jobId, effect) => {
        const spec = specs.get(jobId);
        if (spec !== undefined) pipelines.onJobFinished(spec, effect);
        else {
          // Cancelled while delayed: its spec was never in memory.
          Effect.runFork(
            store.jobs.get(jobId).pipe(
              Effect.tap((job) => Effect.sync(() => pipelines.onJobFinished(job.spec, effect))),
              Effect.ignore,
            ),
          );
        }
        specs.delete(jobId);
        placedOn.delete(jobId);
      },
      queueFromStore: (jobId, at) => {
        // The jobs come due in one round are read back in one read, once the round is over.
        if (toQueue.push([jobId, at]) === 1) queueMicrotask(queueRead);
      },
    };

    const pipelines: PipelineHost = makePipelineHost({
      registry,
      store,
      bus,
      system: () => system,
      submitStep: (input, step) =>
        decodeAll([input], step).pipe(Effect.flatMap((jobs) => createOne(jobs[0]!))),
      stageStep: (input, step) => staging.stage(input, step),
      stagedCreated: (staged) => staging.created(staged),
      cancelJob: (jobId) => cancel(jobId),
    });

    const behaviours = { ...hodeiBehaviours, pipeline: pipelineBehaviour(pipelines.resolve) };
    // Actors whose records recovery found and could not run (quarantined): their rows stay put.
    let unreadable: Set<string> | undefined = new Set();
    system = yield* makeActorSystem({
      behaviours,
      store: store.snapshots,
      onUnreadable: (address, reason) => {
        unreadable?.add(address);
        store.quarantine.add(new CorruptRecord({ kind: "snapshot", id: address, reason }));
      },
      passivateIdleAfterMs: 5 * 60_000,
      // A queued job's actor keeps its spec, which with its id gives its input (job-virtual.ts).
      virtualCodecs: {
        job: specs.codec((id, spec, createdAt) =>
          jobInput({ id: id as JobId, spec, createdAt }, spec),
        ),
      },
      onEffectsDone: () => flushWorkerChanges(routing),
      stage: (effects) => pipelines.stage(effects),
      // A job's end reaches its pipeline run in the same round: the run's next step commits
      // with the job's result (and its jobs with it: `stage`).
      relay: (from, effect, deliver) => {
        const e = effect as JobEffect;
        if (!from.startsWith("job/") || e.type !== "job.transitioned") return;
        if (!isTerminalJobState(e.state)) return;
        const spec = specs.get(e.jobId);
        if (spec !== undefined) pipelines.relayJobFinished(spec, e, deliver);
      },
      onEffect: (from, effect) => {
        if (from.startsWith("job/")) routeJobEffect(routing, effect as never, recovering);
        else if (from.startsWith("pipeline/")) pipelines.onEffect(effect as never);
        else routeWorkerEffect(routing, effect as never);
      },
    });

    // A delayed job is not among `specs`: its actor is parked in the store, its timer armed.
    const cancel = (jobId: string): Effect.Effect<void, NotFound> =>
      Effect.suspend(() => {
        const to = jobAddress(jobId);
        const tellIt = system.tell(to, { type: "cancel", at: system.now() }).pipe(Effect.ignore);
        if (specs.has(jobId) || system.timerOf(to) !== undefined) return tellIt;
        return store.jobs.get(jobId).pipe(
          Effect.orElseFail(() => new NotFound({ kind: "job", id: jobId })),
          Effect.flatMap((job) =>
            isTerminalJobState(job.state)
              ? Effect.fail(new NotFound({ kind: "job", id: jobId }))
              : tellIt,
          ),
        );
      });

    // The job's row is durable before its actor exists, and the actor's first state (`queued`,
    // entered when the job was created) is a function of that row: so the spawn commits
    // nothing, the actor's first snapshot is written with its first transition, and recovery
    // re-creates the same actor from the row (`snapshot === undefined` below).
    const jobInput = (job: Pick<Job, "id" | "spec" | "createdAt">, spec: JobSpec = job.spec) => ({
      jobId: job.id,
      retry: spec.retry,
      timeoutMs: spec.timeoutMs ?? null,
      cancelGraceMs: config.cancelGraceMs,
      lostGraceMs: config.lostWorkerGraceMs,
      runAt: dueAt(job),
      at: job.createdAt,
    });
    /**
     * The job's actor, virtual, its spec (`spec`, shared parts) kept; one that exists already
     * (or a closed system) is left be. Its input is the one its spec gives (job-virtual.ts).
     */
    const spawnJob = (job: Pick<Job, "id" | "spec" | "createdAt">, spec: JobSpec) => {
      specs.spawning(job.id, spec);
      try {
        void system.spawnNow(jobAddress(job.id), jobInput(job, spec), true);
      } finally {
        specs.spawned();
      }
    };

    const release = (jobId: string) => scheduler.send({ type: "release", jobId });
    /**
     * Places a job before it is created, when the scheduler can do it at once: the job actor
     * is worked out through `schedule`, for its record to commit with the row.
     */
    const placeAhead = (job: Job): Ahead | undefined => {
      if (!config.placeOnSubmit) return undefined;
      const at = system.now();
      const placement = scheduler.placeNow(queuedJobOf(job.id, job.spec, at), at);
      if (placement === undefined) return undefined;
      try {
        const messages = [scheduleMessage(placement)];
        return { placement, prepared: system.prepare(jobAddress(job.id), jobInput(job), messages) };
      } catch {
        // The machine refused to be worked out ahead: the job goes the usual way.
        release(job.id);
        return undefined;
      }
    };
    /**
     * A job placed ahead, once its create committed. Its `queued` is only announced (it was
     * never in the queue); its `scheduled` effects are performed as after any commit. A job not
     * created after all (it existed) gives its reservation back.
     */
    const placedCreatedNow = (job: Job, { placement, prepared }: Ahead, r: CreateResult) => {
      if (!r.created) return release(job.id);
      specs.set(job.id, job.spec);
      system.adoptNow(prepared);
      bus.tryPublish(placementEvents, placement);
      for (const e of prepared.initialEffects as ReadonlyArray<JobEffect>) {
        if (e.type === "job.transitioned") announceJob(routing, e, job.spec);
      }
      // The worker hears of its new job from routing's microtask, not here: the jobs of one
      // group commit's creates reach it in one `jobs_changed`, not one message (and one copy
      // of its job list) each.
      for (const e of prepared.effects) routeJobEffect(routing, e as JobEffect);
    };
    const placedCreated = (job: Job, ahead: Ahead, r: CreateResult) =>
      Effect.sync(() => placedCreatedNow(job, ahead, r));

    /**
     * One job, placed before it is created when the scheduler can do it at once (its record
     * then commits with the row). A job whose commit failed gives its reservation back. What
     * follows the commit always runs (no fiber to interrupt): a job made durable gets its
     * actor, and a job made durable `scheduled` its assignment. No Effect on the way: a
     * callback from the store's group commit to `done`.
     */
    const createOneNow = (job: Job, done: (exit: Exit.Exit<CreateResult, StoreError>) => void) => {
      if (job.state === "delayed") {
        Effect.runCallback(createDelayed(job), { onExit: done });
        return;
      }
      let ahead: Ahead | undefined;
      try {
        ahead = placeAhead(job);
      } catch (defect) {
        return done(Exit.die(defect));
      }
      store.jobs.createNow(job, ahead?.prepared.record, (r) => {
        if (Either.isLeft(r)) {
          if (ahead !== undefined) release(job.id);
          return done(Exit.fail(r.left));
        }
        try {
          if (ahead === undefined) acceptNow(r.right);
          else placedCreatedNow(job, ahead, r.right);
        } catch (defect) {
          return done(Exit.die(defect));
        }
        done(Exit.succeed(r.right));
      });
    };
    const createOne = (job: Job): Effect.Effect<CreateResult, StoreError> =>
      Effect.async((resume) => createOneNow(job, resume));

    /**
     * Delayed jobs: each row commits with its actor's record (`delayed`, its deadline the due
     * time), and the actor is parked, not spawned: until it is due, a delayed job costs this
     * supervisor one timer entry, not a live actor nor its spec in memory.
     */
    const prepareDelayed = (job: Job): Prepared | undefined =>
      job.state === "delayed" ? system.prepare(jobAddress(job.id), jobInput(job), []) : undefined;
    const park = (r: CreateResult, prepared: Prepared | undefined, spec: JobSpec) => {
      if (!r.created || prepared === undefined || prepared.record.deadline === null) return;
      system.park(prepared.address, prepared.record.deadline);
      for (const e of prepared.initialEffects as ReadonlyArray<JobEffect>) {
        if (e.type === "job.transitioned") announceJob(routing, e, spec);
      }
    };
    const createDelayed = (job: Job) =>
      Effect.suspend(() => {
        const prepared = prepareDelayed(job)!;
        return store.jobs
          .create(job, prepared.record)
          .pipe(Effect.tap((r) => park(r, prepared, job.spec)));
      });
    /** A batch with delayed jobs: one commit; delayed ones parked, the others spawned. */
    const createMixed = (jobs: ReadonlyArray<Job>) =>
      Effect.suspend(() => {
        const prepared = jobs.map(prepareDelayed);
        return store.jobs
          .createBatch(
            jobs,
            prepared.map((p) => p?.record),
          )
          .pipe(
            Effect.tap((results) => results.forEach((r, i) => park(r, prepared[i], jobs[i]!.spec))),
            Effect.tap((results) => accept(results.filter((_, i) => prepared[i] === undefined))),
          );
      });

    /** A created job's result: its spec kept while it waits, its actor spawned (virtual). */
    const acceptNow = (r: CreateResult): CreateResult => {
      if (r.created && !isTerminalJobState(r.job.state)) {
        spawnJob(r.job, internSpec(r.job.spec));
      }
      return r;
    };
    const acceptOne = (r: CreateResult): Effect.Effect<CreateResult> =>
      Effect.sync(() => acceptNow(r));
    // A batch's jobs in one loop, not an Effect each.
    const accept = (results: ReadonlyArray<CreateResult>) =>
      Effect.sync(() => results.map(acceptNow));

    const staging = makeStepStaging({
      now: () => system.now(),
      placeAhead,
      placedCreated,
      prepareDelayed,
      park,
      accept: acceptOne,
      create: createOne,
      release,
    });

    const createAll = (jobs: ReadonlyArray<Job>) =>
      jobs.some((j) => j.state === "delayed")
        ? createMixed(jobs)
        : store.jobs.createBatch(jobs).pipe(Effect.flatMap(accept));

    const decodeNow = (
      inputs: ReadonlyArray<unknown>,
      step?: { readonly runId: PipelineRunId; readonly step: string },
      parsed = false,
    ): Either.Either<Job[], InvalidInput> => {
      const jobs: Job[] = [];
      for (const [i, input] of inputs.entries()) {
        const spec = parsed ? decodeParsedJobSpec(input) : decodeJobSpec(input);
        if (Either.isLeft(spec)) {
          const e = spec.left;
          return Either.left(
            inputs.length === 1
              ? e
              : new InvalidInput({
                  message: `jobs.${i}: ${e.message}`,
                  issues: e.issues.map((x) => ({ ...x, path: `jobs.${i}.${x.path}` })),
                }),
          );
        }
        // One clock reading: the id holds the creation time (job-virtual.ts counts on it).
        const now = system.now();
        jobs.push(newJob(newJobId(now), spec.right, now, step));
      }
      return Either.right(jobs);
    };
    const decodeAll = (
      inputs: ReadonlyArray<unknown>,
      step?: { readonly runId: PipelineRunId; readonly step: string },
      parsed = false,
    ) => Effect.suspend(() => decodeNow(inputs, step, parsed));
    const submitNow = (input: unknown, options: SubmitOptions | undefined, done: SubmitDone) => {
      let jobs: Either.Either<Job[], InvalidInput>;
      try {
        jobs = decodeNow([input], undefined, options?.parsed);
      } catch (defect) {
        // Input that throws when read (a getter, in process): told, as any defect is.
        return done(Exit.die(defect));
      }
      if (Either.isLeft(jobs)) return done(Exit.fail(jobs.left));
      createOneNow(jobs.right[0]!, done);
    };

    // Queue settings before any job is queued again: a paused queue stays paused.
    const queues = yield* makeQueueControl({
      store: store.queues,
      scheduler,
      configured: config.queues,
    });

    // Recovery: actors first (their snapshots are the truth), then rows that never got one.
    // The agents this supervisor knew get a heartbeat timeout from its start to reconnect and
    // report: until then no worker is lost, and no deadline that depends on hearing from an
    // agent (acceptance, a running job's backstop) ends an attempt.
    const grace = (at: number) => ({
      type: "recovered" as const,
      at,
      graceUntil: at + config.heartbeatTimeoutMs,
    });
    // Delayed jobs stay parked in the store: only their timers come back.
    yield* system.recover("job", grace, (r) => r.snapshot.value === "delayed");
    yield* system.recover("worker", grace);
    const seen = unreadable;
    unreadable = undefined;
    let after: string | undefined;
    do {
      const page = yield* store.jobs.openRows(recoveredStates, after, 1000).pipe(Effect.orDie);
      for (const job of page.rows) {
        // Every unfinished job's record was loaded by `system.recover` above (a row and its
        // record commit together): one not live now has none, and its row is its state.
        const address = jobAddress(job.id);
        if (seen.has(address)) continue;
        const snapshot = system.peek(address) as
          { value: string; context: { workerId: string | null } } | undefined;
        if (snapshot === undefined) {
          recovering = true;
          try {
            spawnJob(job, internSpec(job.spec));
          } finally {
            recovering = false;
          }
          continue;
        }
        const spec = keepSpec(job.id, job.spec);
        if (snapshot.value === "queued") {
          scheduler.send({ type: "enqueue", job: queuedJobOf(job.id, spec, system.now()) });
        } else if (snapshot.context.workerId !== null)
          placedOn.set(job.id, snapshot.context.workerId);
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
    // Each worker's jobs are what the job actors say (a worker actor does not commit every
    // job joining or leaving it).
    const onWorker = new Map<string, string[]>();
    for (const [jobId, workerId] of placedOn) {
      const jobs = onWorker.get(workerId);
      if (jobs === undefined) onWorker.set(workerId, [jobId]);
      else jobs.push(jobId);
    }
    const known = yield* store.workers.list().pipe(Effect.orElseSucceed(() => []));
    for (const workerId of new Set([...known.map((w) => w.id as string), ...onWorker.keys()])) {
      const at = system.now();
      const to = workerAddress(workerId);
      const jobs = onWorker.get(workerId) ?? [];
      yield* system.tell(to, { type: "jobs_recovered", at, jobs }).pipe(Effect.ignore);
    }

    yield* pipelines.recover;

    const redrive = makeRedrive({
      store,
      system,
      jobInput,
      live: (jobId, spec) => void specs.set(jobId, spec),
      route: (e) => routeJobEffect(routing, e),
    });

    const inbound = makeInbound({ system, store, bus, config, routing, gateway: () => gateway });

    const core: Omit<SupervisorCore, "schedules"> = {
      ...makeCorePorts({ store, system, scheduler, bus }),
      inbound,
      attachGateway: (g) => {
        gateway = g;
      },
      submit: (input, options) => Effect.async((resume) => submitNow(input, options, resume)),
      submitNow,
      submitBatch: (inputs, options) =>
        decodeAll(inputs, undefined, options?.parsed).pipe(Effect.flatMap(createAll)),
      submitSpecs: (specs) =>
        Effect.suspend(() =>
          createAll(specs.map((s) => newJob(newJobId(system.now()), s, system.now()))),
        ),
      cancel,
      redrive,
      drainWorker: (workerId) =>
        system
          .tell(workerAddress(workerId), { type: "drain", at: system.now() })
          .pipe(Effect.mapError(() => new NotFound({ kind: "worker", id: workerId }))),
      pruneWorkers: makeWorkerPruner({ store, system }),
      scheduler,
      queues,
      system,
      pipelines,
      registry,
      store,
      bus,
      config,
      liveJobs: () => specs.size,
      machines: executionOf(behaviours),
      settled: Effect.gen(function* () {
        do {
          yield* system.settled;
          yield* scheduler.settled;
          yield* pipelines.settled;
        } while (system.busy() || scheduler.busy());
      }),
    };
    // Last: a firing due at start makes its job through the core recovered above.
    const schedules = yield* makeSchedules({
      core,
      store,
      bus,
      graceMs: config.scheduleGraceMs,
    });
    return { ...core, schedules };
  });
