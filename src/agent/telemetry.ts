/**
 * What the agent tells the supervisor about its machine at every heartbeat.
 *
 * Heartbeats must leave on time even when the machine is busy, so nothing here blocks or waits
 * on the disk at heartbeat time: CPU and load come from `node:os` (cheap, in memory), while
 * memory (`MemAvailable` from /proc/meminfo, which counts reclaimable cache as available, unlike
 * `os.freemem`) and free disk space (`statfs` of the work dir) are refreshed in the background
 * and the last values are sent.
 *
 * CPU % is the busy share of all cores between two samples (deltas of `os.cpus()` times), so
 * the first heartbeat reports the share since the agent started.
 */
import { cpus, loadavg, totalmem, freemem } from "node:os";
import { readFile, statfs } from "node:fs/promises";
import type { Telemetry } from "../domain/worker.ts";

const mb = (bytes: number): number => bytes / (1024 * 1024);

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

const cpuTimes = (): CpuTimes => {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
};

const memAvailableMb = async (): Promise<number | undefined> => {
  try {
    const text = await readFile("/proc/meminfo", "utf8");
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
};

export class TelemetrySampler {
  private last = cpuTimes();
  private availableMb = mb(freemem());
  private diskFreeMb = 0;
  private refreshing = false;

  constructor(private readonly workDir: string) {
    this.refresh();
  }

  /** A report now, from in-memory values; starts a background refresh for the next one. */
  sample(runningJobs: number, now: number = Date.now()): Telemetry {
    const current = cpuTimes();
    const total = current.total - this.last.total;
    const busy = current.busy - this.last.busy;
    this.last = current;
    this.refresh();
    const totalMb = mb(totalmem());
    const cpuPercent = total > 0 ? Math.min(100, Math.max(0, (100 * busy) / total)) : 0;
    return {
      cpuPercent,
      memoryUsedMb: Math.max(0, totalMb - this.availableMb),
      memoryTotalMb: totalMb,
      load1: Math.max(0, loadavg()[0] ?? 0),
      diskFreeMb: this.diskFreeMb,
      runningJobs,
      at: now,
    };
  }

  private refresh(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    void Promise.all([
      memAvailableMb(),
      statfs(this.workDir).then(
        (s) => mb(s.bavail * s.bsize),
        () => undefined,
      ),
    ]).then(([mem, disk]) => {
      this.availableMb = mem ?? mb(freemem());
      if (disk !== undefined) this.diskFreeMb = disk;
      this.refreshing = false;
    });
  }
}
