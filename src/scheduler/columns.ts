/**
 * The numbers of every worker slot, in parallel typed arrays: capacity, reservations, the
 * latest telemetry, last heartbeat and two flags. Grown by doubling. Placement's inner loop reads
 * these directly, which is why they are columns and not fields of per-worker objects.
 */
import type { Telemetry, WorkerCapacity } from "../domain/worker.ts";
import type { Demand, WorkerView } from "./cluster-state.ts";

const grow = <T extends Float64Array | Float32Array | Int32Array | Uint8Array>(
  a: T,
  n: number,
): T => {
  const next = new (a.constructor as new (n: number) => T)(n);
  next.set(a);
  return next;
};

export class Columns {
  capacity = 0;
  capCpu = new Float64Array(0);
  capMem = new Float64Array(0);
  capGpu = new Int32Array(0);
  capSlots = new Int32Array(0);
  resCpu = new Float64Array(0);
  resMem = new Float64Array(0);
  resGpu = new Int32Array(0);
  resSlots = new Int32Array(0);
  /** Telemetry; NaN cpuPercent means "never reported". */
  cpuPct = new Float32Array(0);
  memUsed = new Float32Array(0);
  memTotal = new Float32Array(0);
  load1 = new Float32Array(0);
  diskFree = new Float32Array(0);
  running = new Int32Array(0);
  lastHeartbeat = new Float64Array(0);
  healthy = new Uint8Array(0);
  draining = new Uint8Array(0);

  ensure(n: number): void {
    if (n <= this.capacity) return;
    const c = Math.max(n, this.capacity * 2, 64);
    this.capCpu = grow(this.capCpu, c);
    this.capMem = grow(this.capMem, c);
    this.capGpu = grow(this.capGpu, c);
    this.capSlots = grow(this.capSlots, c);
    this.resCpu = grow(this.resCpu, c);
    this.resMem = grow(this.resMem, c);
    this.resGpu = grow(this.resGpu, c);
    this.resSlots = grow(this.resSlots, c);
    this.cpuPct = grow(this.cpuPct, c);
    this.memUsed = grow(this.memUsed, c);
    this.memTotal = grow(this.memTotal, c);
    this.load1 = grow(this.load1, c);
    this.diskFree = grow(this.diskFree, c);
    this.running = grow(this.running, c);
    this.lastHeartbeat = grow(this.lastHeartbeat, c);
    this.healthy = grow(this.healthy, c);
    this.draining = grow(this.draining, c);
    this.capacity = c;
  }

  setCapacity(s: number, cap: WorkerCapacity): void {
    this.capCpu[s] = cap.cpuMillis;
    this.capMem[s] = cap.memoryMb;
    this.capGpu[s] = cap.gpus;
    this.capSlots[s] = cap.maxJobs;
  }

  clearUsage(s: number): void {
    this.resCpu[s] = 0;
    this.resMem[s] = 0;
    this.resGpu[s] = 0;
    this.resSlots[s] = 0;
    this.cpuPct[s] = Number.NaN;
    this.memUsed[s] = 0;
    this.memTotal[s] = 0;
    this.load1[s] = 0;
    this.diskFree[s] = 0;
    this.running[s] = 0;
  }

  setTelemetry(s: number, t: Telemetry): void {
    this.cpuPct[s] = t.cpuPercent;
    this.memUsed[s] = t.memoryUsedMb;
    this.memTotal[s] = t.memoryTotalMb;
    this.load1[s] = t.load1;
    this.diskFree[s] = t.diskFreeMb;
    this.running[s] = t.runningJobs;
  }

  addReserved(s: number, d: Demand, sign: 1 | -1): void {
    this.resCpu[s] = this.resCpu[s]! + sign * d.cpuMillis;
    this.resMem[s] = this.resMem[s]! + sign * d.memoryMb;
    this.resGpu[s] = this.resGpu[s]! + sign * d.gpus;
    this.resSlots[s] = this.resSlots[s]! + sign;
  }

  /** True when `d` fits in what is left of slot `s` after its reservations. */
  fits(s: number, d: Demand): boolean {
    return (
      this.resSlots[s]! < this.capSlots[s]! &&
      this.resCpu[s]! + d.cpuMillis <= this.capCpu[s]! &&
      this.resMem[s]! + d.memoryMb <= this.capMem[s]! &&
      this.resGpu[s]! + d.gpus <= this.capGpu[s]!
    );
  }

  viewOf(s: number): Omit<WorkerView, "id" | "labels" | "handlers"> {
    return {
      capacity: {
        cpuMillis: this.capCpu[s]!,
        memoryMb: this.capMem[s]!,
        gpus: this.capGpu[s]!,
        maxJobs: this.capSlots[s]!,
      },
      reserved: {
        cpuMillis: this.resCpu[s]!,
        memoryMb: this.resMem[s]!,
        gpus: this.resGpu[s]!,
        jobs: this.resSlots[s]!,
      },
      healthy: this.healthy[s] === 1,
      draining: this.draining[s] === 1,
      lastHeartbeatAt: this.lastHeartbeat[s]!,
      telemetry: Number.isNaN(this.cpuPct[s]!)
        ? null
        : {
            cpuPercent: this.cpuPct[s]!,
            memoryUsedMb: this.memUsed[s]!,
            memoryTotalMb: this.memTotal[s]!,
            load1: this.load1[s]!,
            diskFreeMb: this.diskFree[s]!,
            runningJobs: this.running[s]!,
          },
    };
  }
}
