/**
 * JobSpec: everything a caller says about a job — what to run, what it needs, where it may run,
 * how long it may take, how often to retry it, and how urgent it is.
 *
 * Glossary of the fields:
 * - `command` | `handler`: what to run (exactly one; see work.ts).
 * - `resources`: what the scheduler reserves on the chosen worker while the job runs.
 * - `labels`, `constraints`: which workers qualify (see constraint.ts).
 * - `timeoutMs`: an attempt running longer is killed; the job ends `timed_out` if none remain.
 * - `retry`: attempts and backoff after a failure (see retry.ts); one attempt by default.
 * - `priority`: 0–1000 or a level name (see priority.ts).
 * - `concurrencyKey`: the scheduler runs at most one job per key at a time, on any worker.
 * - `idempotencyKey`: the API answers a second submission with this key with the first job.
 * - `strategy`: overrides the scheduler's placement strategy for this job.
 * - `queue`: the named queue the job waits in (`default`); its settings pause or limit it.
 * - `rateLimit`: `{ key, max, perMs }`, a rate limit shared by the jobs naming the key.
 * - `runAt` | `delayMs`: a delayed job (at most one of the two): it waits `delayed` until that
 *   time (RFC 3339), or that long after it was created, then is queued (see delay.ts).
 *
 * Everything optional has its default applied at decode time, so the rest of the system reads
 * a complete spec and never re-implements a default. Encoding writes the defaults out, which
 * keeps a stored spec meaningful even if a default changes later.
 */
import { Schema } from "effect";
import { Constraints } from "./constraint.ts";
import { Labels, Limits, Key, Name, boundedInt, objectExpected } from "./primitives.ts";
import { defaultPriority, Priority } from "./priority.ts";
import { defaultQueue, JobRateLimit, QueueName } from "./queue.ts";
import { defaultRetryPolicy, RetryPolicy } from "./retry.ts";
import { CommandSpec, exactlyOneOf, HandlerSpec } from "./work.ts";
import { maxDelayMs, RunAt } from "./delay.ts";

export { Constraint, Constraints } from "./constraint.ts";
export { CommandSpec, HandlerSpec } from "./work.ts";

export const defaultResources = { cpuMillis: 100, memoryMb: 64, gpus: 0 } as const;

/** Each field may be given alone: `{ memoryMb: 2048 }` keeps the default CPU and GPUs. */
export const Resources = Schema.Struct({
  cpuMillis: Schema.optionalWith(
    boundedInt(0, 1_024_000).annotations({ description: "CPU in millicores (1000 = one core)" }),
    { exact: true, default: () => defaultResources.cpuMillis },
  ),
  memoryMb: Schema.optionalWith(
    boundedInt(0, 16_777_216).annotations({ description: "memory in MiB" }),
    { exact: true, default: () => defaultResources.memoryMb },
  ),
  gpus: Schema.optionalWith(boundedInt(0, 64).annotations({ description: "whole GPUs" }), {
    exact: true,
    default: () => defaultResources.gpus,
  }),
}).annotations({
  identifier: "Resources",
  description: "resources reserved on the worker while the job runs",
  ...objectExpected("a resources object { cpuMillis, memoryMb, gpus }"),
});
export type Resources = typeof Resources.Type;

/** RetryPolicy with every field optional: `{ maxAttempts: 3 }` keeps the default backoff. */
export const RetryPolicyInput = Schema.Struct({
  maxAttempts: Schema.optionalWith(RetryPolicy.fields.maxAttempts, {
    exact: true,
    default: () => defaultRetryPolicy.maxAttempts,
  }),
  initialDelayMs: Schema.optionalWith(RetryPolicy.fields.initialDelayMs, {
    exact: true,
    default: () => defaultRetryPolicy.initialDelayMs,
  }),
  multiplier: Schema.optionalWith(RetryPolicy.fields.multiplier, {
    exact: true,
    default: () => defaultRetryPolicy.multiplier,
  }),
  maxDelayMs: Schema.optionalWith(RetryPolicy.fields.maxDelayMs, {
    exact: true,
    default: () => defaultRetryPolicy.maxDelayMs,
  }),
  jitter: Schema.optionalWith(RetryPolicy.fields.jitter, {
    exact: true,
    default: () => defaultRetryPolicy.jitter,
  }),
}).annotations({
  identifier: "RetryPolicy",
  description: "attempts and exponential backoff with jitter, capped at maxDelayMs",
  ...objectExpected("a retry policy object"),
});

const opt = <S extends Schema.Schema.All>(schema: S) =>
  Schema.optionalWith(schema, { exact: true });

const JobSpecFields = Schema.Struct({
  name: Name,
  command: opt(CommandSpec),
  handler: opt(HandlerSpec),
  resources: Schema.optionalWith(Resources, {
    exact: true,
    default: () => ({ ...defaultResources }),
  }),
  labels: Schema.optionalWith(Labels, { exact: true, default: () => ({}) }),
  constraints: Schema.optionalWith(Constraints, { exact: true, default: () => [] }),
  timeoutMs: opt(
    boundedInt(1, Limits.timeoutMs).annotations({ description: "per attempt, in ms" }),
  ),
  retry: Schema.optionalWith(RetryPolicyInput, {
    exact: true,
    default: () => ({ ...defaultRetryPolicy }),
  }),
  priority: Schema.optionalWith(Priority, { exact: true, default: () => defaultPriority }),
  concurrencyKey: opt(Key),
  idempotencyKey: opt(Key),
  strategy: opt(
    Schema.Literal("binpack", "spread").annotations({
      description:
        "placement for this job: fill busy workers (binpack) or the least loaded (spread)",
    }),
  ),
  queue: Schema.optionalWith(QueueName, { exact: true, default: () => defaultQueue }),
  rateLimit: opt(JobRateLimit),
  runAt: opt(RunAt),
  delayMs: opt(
    boundedInt(0, maxDelayMs).annotations({
      description: "queue the job this many ms after it is created",
    }),
  ),
}).annotations(objectExpected("a job spec object"));
type JobSpecFields = typeof JobSpecFields.Type;

export const JobSpec = JobSpecFields.pipe(
  Schema.filter(exactlyOneOf("command", "handler", "a job")),
  Schema.filter((s) =>
    s.runAt !== undefined && s.delayMs !== undefined
      ? { path: ["delayMs"], message: "give runAt or delayMs, not both" }
      : undefined,
  ),
  // Never fails after the filter above; it only tells TypeScript what that filter proved.
  Schema.filter(
    (
      s,
    ): s is JobSpecFields &
      (
        | { readonly command: CommandSpec; readonly handler?: never }
        | { readonly handler: HandlerSpec; readonly command?: never }
      ) => (s.command === undefined) !== (s.handler === undefined),
  ),
  Schema.annotations({
    identifier: "JobSpec",
    description: "a job to run: exactly one of command or handler, plus its requirements",
  }),
);
export type JobSpec = typeof JobSpec.Type;
/** The JSON a caller sends: every defaulted field optional. */
export type JobSpecInput = typeof JobSpec.Encoded;
