/**
 * The agents `hodei serve --local-workers N` starts on its own machine: `local-1` … `local-N`,
 * each registering under that name as its worker id, so a restarted supervisor's agents come
 * back as the same workers instead of leaving lost ones behind. Together they offer the
 * machine once, not N times: its CPU, memory and job slots are shared out between them (the
 * first ones take the remainder; every agent gets at least one job slot).
 */
import { cpus, totalmem } from "node:os";

export interface LocalWorker {
  readonly id: string;
  readonly cpuMillis: number;
  readonly memoryMb: number;
  readonly maxJobs: number;
}

export interface Machine {
  readonly cores: number;
  readonly memoryMb: number;
}

export const thisMachine = (): Machine => ({
  cores: Math.max(1, cpus().length),
  memoryMb: Math.floor(totalmem() / (1024 * 1024)),
});

/** `total` shared by `n`: the first `total % n` get one more. */
const share = (total: number, n: number, i: number) =>
  Math.floor(total / n) + (i < total % n ? 1 : 0);

export const localWorkers = (n: number, machine: Machine = thisMachine()): LocalWorker[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `local-${i + 1}`,
    cpuMillis: share(machine.cores * 1000, n, i),
    memoryMb: share(machine.memoryMb, n, i),
    maxJobs: Math.max(1, share(machine.cores, n, i)),
  }));

/** The `hodei worker` flags that make an agent this local worker. */
export const localWorkerArgs = (w: LocalWorker, url: string): string[] => [
  "worker",
  "--url",
  url,
  "--id",
  w.id,
  "--name",
  w.id,
  "--cpu",
  String(w.cpuMillis),
  "--memory",
  String(w.memoryMb),
  "--max-jobs",
  String(w.maxJobs),
];
