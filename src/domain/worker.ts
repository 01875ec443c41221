/**
 * Worker: a registered agent as the scheduler and the API see it — what it can hold
 * (`capacity`), what it offers (`labels`, `handlers`), where it is in its lifecycle (`state`) and
 * what it last reported about its machine (`telemetry`).
 *
 * States, as the worker actor (actors/worker.ts) moves through them:
 * - `registering`: the agent asked to join; its session is not yet open.
 * - `idle`: connected and running nothing.
 * - `busy`: connected and running at least one job (it may still have room for more).
 * - `draining`: finishing its jobs, taking no new ones (shutdown or an operator's request).
 * - `lost`: heartbeats stopped past the timeout; its jobs are being re-placed. It may come back
 *   by reconnecting with the same id.
 * - `offline`: left cleanly, or lost for long enough to be forgotten by the scheduler.
 *
 * Capacity is what the agent declares, not what the machine has: an operator may give a shared
 * host a fraction of its cores. Telemetry is advisory (for scoring and dashboards); placement
 * decisions use capacity minus reservations, which the scheduler alone owns.
 */
import { Schema } from "effect";
import { WorkerId } from "./ids.ts";
import {
  boundedInt,
  boundedString,
  HandlerName,
  Labels,
  Limits,
  literals,
  objectExpected,
  Timestamp,
} from "./primitives.ts";

export const workerStates = ["registering", "idle", "busy", "draining", "lost", "offline"] as const;

export const WorkerState = literals(...workerStates).annotations({
  identifier: "WorkerState",
  description: "where a worker is in its lifecycle",
});
export type WorkerState = typeof WorkerState.Type;

/** States in which the scheduler may place new jobs on the worker. */
export const isSchedulable = (state: WorkerState): boolean => state === "idle" || state === "busy";

export const WorkerCapacity = Schema.Struct({
  cpuMillis: boundedInt(0, 1_024_000).annotations({ description: "CPU in millicores" }),
  memoryMb: boundedInt(0, 16_777_216).annotations({ description: "memory in MiB" }),
  gpus: boundedInt(0, 64),
  maxJobs: boundedInt(1, 10_000).annotations({ description: "jobs run at once, at most" }),
}).annotations({
  identifier: "WorkerCapacity",
  description: "what the agent offers to the scheduler",
  ...objectExpected("a capacity object { cpuMillis, memoryMb, gpus, maxJobs }"),
});
export type WorkerCapacity = typeof WorkerCapacity.Type;

const NonNegative = Schema.Number.pipe(
  Schema.finite(),
  Schema.nonNegative(),
  Schema.annotations({ description: "a finite number, 0 or more" }),
);

export const Telemetry = Schema.Struct({
  cpuPercent: Schema.Number.pipe(
    Schema.between(0, 100),
    Schema.annotations({ description: "whole-machine CPU use, 0–100" }),
  ),
  memoryUsedMb: NonNegative,
  memoryTotalMb: NonNegative,
  load1: NonNegative,
  diskFreeMb: NonNegative,
  runningJobs: boundedInt(0, 10_000),
  at: Timestamp,
}).annotations({
  identifier: "Telemetry",
  description: "the agent's last report on its machine",
  ...objectExpected("a telemetry object"),
});
export type Telemetry = typeof Telemetry.Type;

export const WorkerInfo = Schema.Struct({
  id: WorkerId,
  /** Usually the hostname; shown to operators, not used to identify the worker. */
  name: boundedString(1, 253),
  capacity: WorkerCapacity,
  labels: Labels,
  handlers: Schema.Array(HandlerName).pipe(
    Schema.maxItems(Limits.handlerCount, {
      message: () => `Expected at most ${Limits.handlerCount} handlers`,
    }),
  ),
  state: WorkerState,
  telemetry: Schema.optionalWith(Telemetry, { exact: true }),
  registeredAt: Timestamp,
  lastHeartbeatAt: Timestamp,
}).annotations({
  identifier: "WorkerInfo",
  description: "a registered worker agent",
  ...objectExpected("a worker object"),
});
export type WorkerInfo = typeof WorkerInfo.Type;
