/**
 * Why a job is not placed: which filter rejected it, summarised over the workers, in the words
 * an operator would use — "no healthy worker with label gpu=true and 8192 MB free (2 lost, 3
 * without 8192 MB free)". `never` is set when no registered worker could ever take the job,
 * even empty: a missing label or handler, or a demand larger than any matching capacity.
 *
 * It runs a full scan, so it is for the API and for jobs that stayed queued, not for the
 * placement hot path.
 */
import { describeConstraint } from "../domain/constraint.ts";
import type { ClusterState, Demand } from "./cluster-state.ts";
import type { QueuedJob } from "./job-queue.ts";
import { classMatches } from "./placement.ts";

export interface Explanation {
  readonly reason: string;
  /** No registered worker could ever take this job as it is. */
  readonly never: boolean;
  /** Matching workers per rejecting filter. */
  readonly rejected: Readonly<Record<RejectKind, number>>;
}

type RejectKind = "unhealthy" | "draining" | "slots" | "cpu" | "memory" | "gpus";

const what = (job: QueuedJob): string => {
  const parts = [
    ...Object.entries(job.labels).map(([k, v]) => `label ${k}=${v}`),
    ...job.constraints.map((c) => `label ${describeConstraint(c)}`),
    ...(job.handler === undefined ? [] : [`handler ${job.handler}`]),
  ];
  return parts.length === 0 ? "" : ` with ${parts.join(", ")}`;
};

const demandText = (d: Demand): string[] => [
  ...(d.cpuMillis > 0 ? [`${d.cpuMillis}m CPU`] : []),
  ...(d.memoryMb > 0 ? [`${d.memoryMb} MB`] : []),
  ...(d.gpus > 0 ? [`${d.gpus} GPU${d.gpus > 1 ? "s" : ""}`] : []),
];

export const explain = (state: ClusterState, job: QueuedJob): Explanation => {
  const rejected: Record<RejectKind, number> = {
    unhealthy: 0,
    draining: 0,
    slots: 0,
    cpu: 0,
    memory: 0,
    gpus: 0,
  };
  const c = state.c;
  const d = job.demand;
  let matching = 0;
  let everFits = 0;
  for (const cls of state.classes) {
    if (!classMatches(cls, job)) continue;
    for (const s of cls.members) {
      matching++;
      const capacityFits =
        d.cpuMillis <= c.capCpu[s]! && d.memoryMb <= c.capMem[s]! && d.gpus <= c.capGpu[s]!;
      if (capacityFits) everFits++;
      if (c.healthy[s] !== 1) rejected.unhealthy++;
      else if (c.draining[s] === 1) rejected.draining++;
      else if (c.resSlots[s]! >= c.capSlots[s]!) rejected.slots++;
      else if (c.resCpu[s]! + d.cpuMillis > c.capCpu[s]!) rejected.cpu++;
      else if (c.resMem[s]! + d.memoryMb > c.capMem[s]!) rejected.memory++;
      else if (c.resGpu[s]! + d.gpus > c.capGpu[s]!) rejected.gpus++;
    }
  }
  const free = demandText(d).map((x) => `${x} free`);
  const wanted = `worker${what(job)}${free.length > 0 ? ` and ${free.join(", ")}` : ""}`;
  if (matching === 0) {
    return { reason: `no registered ${`worker${what(job)}`}`, never: true, rejected };
  }
  if (everFits === 0) {
    const need = demandText(d).join(", ");
    return {
      reason: `no registered worker${what(job)} has capacity for ${need}, even when empty`,
      never: true,
      rejected,
    };
  }
  const counts = [
    rejected.unhealthy > 0 ? `${rejected.unhealthy} lost` : "",
    rejected.draining > 0 ? `${rejected.draining} draining` : "",
    rejected.slots > 0 ? `${rejected.slots} with no free job slot` : "",
    rejected.cpu > 0 ? `${rejected.cpu} without ${d.cpuMillis}m CPU free` : "",
    rejected.memory > 0 ? `${rejected.memory} without ${d.memoryMb} MB free` : "",
    rejected.gpus > 0 ? `${rejected.gpus} without ${d.gpus} GPUs free` : "",
  ].filter((x) => x !== "");
  return {
    reason: `no healthy ${wanted}${counts.length > 0 ? ` (${counts.join(", ")})` : ""}`,
    never: false,
    rejected,
  };
};
