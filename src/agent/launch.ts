/**
 * Which executor runs a job, and with what: a command gets a process with the agent's minimal
 * base environment, then the job's identity (`HODEI_JOB_ID`, `HODEI_JOB_ATTEMPT`, so a script
 * can tag its own output), then the job's own `env`, which wins; a handler gets the function
 * the agent registered under its name (the job table checked it exists), and its own copy of
 * the input.
 */
import type { JobSpec } from "../domain/job-spec.ts";
import type { JobRef } from "../protocol/wire.ts";
import { runCommand, type GroupGuard, type OutputSink, type RunningJob } from "./command-job.ts";
import { runHandler, type JobHandler } from "./handler-job.ts";

export interface LaunchOptions {
  readonly handlers: ReadonlyMap<string, JobHandler>;
  readonly workDir: string;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly timeoutGraceMs: number;
  /** Kills a command job's process group if the agent dies first. */
  readonly guard?: GroupGuard;
}

export const launch = (
  ref: JobRef,
  spec: JobSpec,
  o: LaunchOptions,
  log: OutputSink,
): RunningJob => {
  const common = { timeoutMs: spec.timeoutMs, timeoutGraceMs: o.timeoutGraceMs };
  if (spec.command !== undefined) {
    return runCommand({
      ...common,
      log,
      ...(o.guard === undefined ? {} : { guard: o.guard }),
      spec: spec.command,
      workDir: o.workDir,
      env: {
        ...o.baseEnv,
        HODEI_JOB_ID: ref.jobId,
        HODEI_JOB_ATTEMPT: String(ref.attempt),
        ...spec.command.env,
      },
    });
  }
  const handler = o.handlers.get(spec.handler.name);
  if (handler === undefined) throw new Error(`no handler "${spec.handler.name}"`);
  return runHandler({
    ...common,
    jobId: ref.jobId,
    attempt: ref.attempt,
    handler,
    log: (stream, line) => log.push(stream, line),
    // A copy: the decoded spec may be shared (spec-decoder.ts caches it), the function may mutate.
    input: structuredClone(spec.handler.input),
  });
};
