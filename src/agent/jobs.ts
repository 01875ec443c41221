/**
 * The agent's jobs: what runs, what finished and awaits acknowledgement, and the rules for
 * taking new work.
 *
 * An assignment is refused with a `rejected` result (so the supervisor places it elsewhere at
 * once) when its spec does not decode, the agent is draining, it already runs `maxJobs` jobs,
 * or it does not serve the handler named. Otherwise the agent sends JobAccepted and starts it.
 *
 * A finished job's result is sent only after its log lines are durable, and kept until the
 * supervisor's ResultAck; every kept result is sent again after a reconnect, and its attempt is
 * reported as running when re-registering, so the supervisor neither loses nor re-places it.
 * When the supervisor refuses an attempt (stale, unknown, malformed), the agent stops it if it
 * still runs and forgets it.
 */
import { status } from "@grpc/grpc-js";
import { Either } from "effect";
import type { JobSpec } from "../domain/job-spec.ts";
import type { Outcome } from "../domain/outcome.ts";
import { outcomeToWire, type JobRef, type Report } from "../protocol/wire.ts";
import type { RunningJob } from "./command-job.ts";
import type { WorkerEventListener } from "./events.ts";
import { launch, type LaunchOptions } from "./launch.ts";
import { SpecDecoder } from "./spec-decoder.ts";
import { LogShipper, type LogBatchOptions, type LogTransport } from "./log-shipper.ts";

export interface JobTableOptions extends LaunchOptions {
  readonly maxJobs: number;
  readonly logBatch: LogBatchOptions;
  /** Queues a report on the session (coalesced per turn); false when there is none. */
  readonly report: (item: Report) => boolean;
  readonly openLogs: LogTransport;
  readonly onEvent: WorkerEventListener;
}

interface Active {
  readonly ref: JobRef;
  readonly run: RunningJob;
  readonly shipper: LogShipper;
  dropped: boolean;
}

/** Refusals after which the supervisor will never take this attempt's result. */
const dropCodes = new Set<number>([
  status.FAILED_PRECONDITION,
  status.NOT_FOUND,
  status.INVALID_ARGUMENT,
]);

const keyOf = (jobId: string, attempt: number): string => `${jobId}/${attempt}`;

export class JobTable {
  private readonly active = new Map<string, Active>();
  private readonly results = new Map<string, { readonly ref: JobRef; readonly outcome: Outcome }>();
  private readonly specs = new SpecDecoder();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: JobTableOptions) {}

  get runningCount(): number {
    return this.active.size;
  }

  /** Attempts the supervisor must still hear about: running, or finished and unacknowledged. */
  refs(): ReadonlyArray<JobRef> {
    return [
      ...[...this.active.values()].map((a) => a.ref),
      ...[...this.results.values()].map((r) => r.ref),
    ];
  }

  assign(ref: JobRef, specJson: string): void {
    const key = keyOf(ref.jobId, ref.attempt);
    if (this.active.has(key)) return; // pushed again: already running
    const kept = this.results.get(key);
    if (kept !== undefined) return this.sendResult(kept.ref, kept.outcome);
    const spec = this.specs.decode(specJson);
    if (Either.isLeft(spec)) return this.finish(ref, { kind: "rejected", reason: spec.left });
    const refusal = this.refusal(spec.right);
    if (refusal !== undefined) return this.finish(ref, { kind: "rejected", reason: refusal });
    this.o.report({ jobAccepted: ref });
    this.start(ref, spec.right);
  }

  cancel(ref: JobRef, graceMs: number): void {
    this.active.get(keyOf(ref.jobId, ref.attempt))?.run.cancel(graceMs);
  }

  acknowledged(ref: JobRef): void {
    if (this.results.delete(keyOf(ref.jobId, ref.attempt))) {
      this.o.onEvent({ type: "result-acked", ...ref });
      this.checkIdle();
    }
  }

  /** The supervisor refused something about this attempt. */
  refused(ref: JobRef, code: number, message: string): void {
    if (!dropCodes.has(code)) return; // transient: the result is sent again after a reconnect
    const key = keyOf(ref.jobId, ref.attempt);
    const active = this.active.get(key);
    if (active !== undefined && !active.dropped) {
      active.dropped = true;
      active.shipper.abort();
      active.run.cancel(this.o.timeoutGraceMs);
    }
    if (this.results.delete(key) || active !== undefined) {
      this.o.onEvent({ type: "job-dropped", ...ref, code, message });
      this.checkIdle();
    }
  }

  resendResults(): void {
    for (const { ref, outcome } of this.results.values()) this.sendResult(ref, outcome);
  }

  /** Take nothing new from now on. */
  drain(): void {
    this.draining = true;
  }

  /** Resolves when nothing runs and every result is acknowledged (or dropped). */
  idle(): Promise<void> {
    if (this.active.size === 0 && this.results.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Kills everything at once (the agent is stopping without a drain). */
  async stopAll(): Promise<void> {
    const all = [...this.active.values()];
    for (const a of all) {
      a.dropped = true;
      a.shipper.abort();
      a.run.cancel(0);
    }
    await Promise.all(all.map((a) => a.run.outcome));
  }

  private refusal(spec: JobSpec): string | undefined {
    if (this.draining) return "the agent is draining";
    if (this.active.size >= this.o.maxJobs)
      return `the agent is full (${this.o.maxJobs} jobs running)`;
    if (spec.handler !== undefined && !this.o.handlers.has(spec.handler.name)) {
      return `this agent has no handler "${spec.handler.name}"`;
    }
    return undefined;
  }

  private start(ref: JobRef, spec: JobSpec): void {
    const shipper = new LogShipper(ref.jobId, ref.attempt, this.o.openLogs, this.o.logBatch);
    const run = launch(ref, spec, this.o, shipper);
    const active: Active = { ref, run, shipper, dropped: false };
    shipper.onPressure = (paused) => {
      this.o.onEvent({ type: "output-paused", ...ref, paused });
      if (paused) run.pause();
      else run.resume();
    };
    shipper.onRefused = (code, message) => this.refused(ref, code, message);
    this.active.set(keyOf(ref.jobId, ref.attempt), active);
    this.o.onEvent({ type: "job-started", ...ref });

    void run.outcome.then(async (outcome) => {
      const shipped = await shipper.finish();
      this.active.delete(keyOf(ref.jobId, ref.attempt));
      if (!active.dropped && shipped.kind !== "aborted") this.finish(ref, outcome);
      this.checkIdle();
    });
  }

  private finish(ref: JobRef, outcome: Outcome): void {
    this.results.set(keyOf(ref.jobId, ref.attempt), { ref, outcome });
    this.o.onEvent({ type: "job-finished", ...ref, outcome });
    this.sendResult(ref, outcome);
  }

  private sendResult(ref: JobRef, outcome: Outcome): void {
    this.o.report({ jobResult: { ...ref, ...outcomeToWire(outcome) } });
  }

  private checkIdle(): void {
    if (this.active.size > 0 || this.results.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
