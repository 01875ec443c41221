/**
 * Where the supervisor meets its agents, whatever the wire (HWP over gRPC today).
 *
 * - `WorkerGateway` (outbound, implemented by src/hwp): push an assignment, a cancel or a
 *   drain request to an agent over its session. It answers at once whether the agent had a
 *   session to push to; a push to an agent without one is simply not delivered, and the job's
 *   acceptance deadline (or the heartbeat deadline) takes care of what happens next.
 * - `AgentInbound` (inbound, implemented by the supervisor core, called by src/hwp): what the
 *   agents report. Every report that changes a job resolves only once the change is durable,
 *   so the transport can acknowledge it to the agent; a report of another attempt fails with
 *   `StaleAttempt` and changes nothing.
 */
import { Effect, type Exit } from "effect";
import type { Conflict, InvalidInput, NotFound, StaleAttempt } from "../domain/errors.ts";
import type { JobSpec } from "../domain/job-spec.ts";
import type { Labels } from "../domain/primitives.ts";
import type { Telemetry, WorkerCapacity } from "../domain/worker.ts";

export interface Assignment {
  readonly jobId: string;
  readonly attempt: number;
  readonly spec: JobSpec;
  /** Epoch ms: the agent must report `started` (or refuse) before this. */
  readonly acceptBy: number;
}

export interface WorkerGateway {
  readonly assign: (workerId: string, assignment: Assignment) => boolean;
  readonly cancel: (
    workerId: string,
    cancel: { readonly jobId: string; readonly attempt: number; readonly graceMs: number },
  ) => boolean;
  readonly drain: (workerId: string) => boolean;
}

export interface Registration {
  /** Set when the agent reconnects: it keeps its identity. Absent on a first registration. */
  readonly workerId?: string;
  readonly name: string;
  readonly capacity: WorkerCapacity;
  readonly labels: Labels;
  readonly handlers: ReadonlyArray<string>;
  /** What the agent runs now: how a reconnect after a supervisor restart is reconciled. */
  readonly running: ReadonlyArray<{ readonly jobId: string; readonly attempt: number }>;
}

export interface Registered {
  readonly workerId: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
}

import type { Outcome } from "../domain/outcome.ts";
export type { Outcome };

export interface LogLine {
  /** Per job and attempt, from 1, without gaps: the store keeps lines in this order. */
  readonly seq: number;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
  readonly at: number;
}

export interface AgentInbound {
  readonly register: (r: Registration) => Effect.Effect<Registered, InvalidInput>;
  /** Refused: a worker it does not know (`NotFound`), or one declared lost (`Conflict`). */
  readonly heartbeat: (
    workerId: string,
    telemetry: Telemetry,
  ) => Effect.Effect<void, NotFound | Conflict>;
  /**
   * `heartbeat` without an Effect when it can (ten thousand agents send one a second): done
   * (`undefined`), refused (`NotFound`, or `Conflict` for a lost worker, which must register
   * again), or, when the worker's mailbox is full, the Effect that finishes it (wait for room,
   * deliver).
   */
  readonly heartbeatNow: (
    workerId: string,
    telemetry: Telemetry,
  ) => undefined | NotFound | Conflict | Effect.Effect<void>;
  /**
   * `started` and `result` hand their report to the job's mailbox as soon as their Effect
   * starts (synchronously, when there is room): reports run in the order they were started, so
   * a transport need not wait for one to be answered before it hands on the next.
   */
  readonly started: (
    workerId: string,
    jobId: string,
    attempt: number,
  ) => Effect.Effect<void, NotFound | StaleAttempt>;
  /**
   * `started` without an Effect of its own, for the transport's hot path: the report is in its
   * job's mailbox when this returns (when there is room), and `done` is called once with
   * `Exit.void` when it is durable, or with its refusal (or a defect).
   */
  readonly startedNow: (workerId: string, jobId: string, attempt: number, done: ReportDone) => void;
  /** Resolves once the outcome is committed: then, and only then, may the agent forget it. */
  readonly result: (
    workerId: string,
    jobId: string,
    attempt: number,
    outcome: Outcome,
  ) => Effect.Effect<void, NotFound | StaleAttempt>;
  /** `result` without an Effect of its own: as `startedNow`. */
  readonly resultNow: (
    workerId: string,
    jobId: string,
    attempt: number,
    outcome: Outcome,
    done: ReportDone,
  ) => void;
  readonly logs: (
    workerId: string,
    jobId: string,
    attempt: number,
    lines: ReadonlyArray<LogLine>,
  ) => Effect.Effect<void, NotFound | StaleAttempt>;
  /** The session closed (the worker may come back before its heartbeat deadline). */
  readonly disconnected: (workerId: string) => void;
  /** The agent finished draining and leaves for good. */
  readonly left: (workerId: string) => Effect.Effect<void>;
  /**
   * A worker registered and never opened its session: forget it (its record goes, its actor
   * ends), so abandoned registrations neither pile up nor list as workers.
   */
  readonly forget: (workerId: string) => Effect.Effect<void>;
}

/** How a report handed over by callback ends: `Exit.void` once durable, or why not. */
export type ReportDone = (exit: Exit.Exit<void, NotFound | StaleAttempt>) => void;

/** A callback report from a report Effect: for an `AgentInbound` without a faster way. */
export const reportByCallback = (
  effect: Effect.Effect<void, NotFound | StaleAttempt>,
  done: ReportDone,
): void => {
  Effect.runCallback(effect, { onExit: done });
};
