/**
 * The hwp bench's reference: the same no-op jobs through the same supervisor core and store,
 * with the agents played in-process — each assignment answered at once with JobAccepted and
 * its result, no gRPC, no agent process. What is left is the core's own cost per job (actors,
 * scheduler, commits): the ceiling for `handler_jobs_per_s` on this machine whatever the wire
 * does, and, set against it, what the wire and the agents cost.
 */
import { Effect } from "effect";
import type { SupervisorCore } from "../src/supervisor/core.ts";
import { startAllocationMeter } from "./fixtures/allocation.ts";
import { submitNow } from "./fixtures/submit-now.ts";

const capacity = { cpuMillis: 1_000_000, memoryMb: 1_000_000, gpus: 0, maxJobs: 256 };
const telemetry = {
  cpuPercent: 1,
  memoryUsedMb: 1,
  memoryTotalMb: 1024,
  load1: 0,
  diskFreeMb: 1024,
  runningJobs: 0,
  at: 0,
};

export interface CoreLoop {
  readonly jobsPerS: number;
  /** This process's CPU (every thread: main, LMDB's writer, GC) per job. */
  readonly cpuUsPerJob: number;
  /** V8 heap allocated per job in this process, KB (fixtures/allocation.ts says how). */
  readonly allocKbPerJob: number;
}

export const coreLoop = async (
  core: SupervisorCore,
  n: number,
  lanes: number,
): Promise<CoreLoop> => {
  let finished = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (allDone = resolve));
  // As the HWP session hands them on: by callback, no Effect per report.
  const resultDone = () => {
    if (++finished === n) allDone();
  };
  const report = (workerId: string, jobId: string, attempt: number) => {
    core.inbound.startedNow(workerId, jobId, attempt, () => {});
    core.inbound.resultNow(workerId, jobId, attempt, { kind: "succeeded" }, resultDone);
  };
  core.attachGateway({
    // Answered as an agent would, a moment later: not inside the core's own turn.
    assign: (workerId, a) => (setImmediate(() => report(workerId, a.jobId, a.attempt)), true),
    cancel: () => true,
    drain: () => true,
  });
  for (const name of ["core-a", "core-b"]) {
    const r = await Effect.runPromise(
      core.inbound.register({ name, capacity, labels: {}, handlers: ["noop"], running: [] }),
    );
    await Effect.runPromise(core.inbound.heartbeat(r.workerId, telemetry));
  }
  const spec = { name: "noop", handler: { name: "noop", input: null } };
  const cpu0 = process.cpuUsage();
  const meter = startAllocationMeter();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) {
        next++;
        await submitNow(core, spec);
      }
    }),
  );
  await done;
  const allocated = meter.stop();
  const cpu = process.cpuUsage(cpu0);
  return {
    jobsPerS: n / ((performance.now() - t0) / 1000),
    cpuUsPerJob: (cpu.user + cpu.system) / n,
    allocKbPerJob: allocated / 1024 / n,
  };
};
