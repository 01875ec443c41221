/**
 * ClusterState: what the scheduler knows of every worker — capacity, labels, handlers, latest
 * telemetry, reservations, last heartbeat, health and draining — owned by the scheduler alone.
 * Others get copies (`view`), never a reference.
 *
 * Layout: one slot per worker in parallel typed arrays (structure of arrays). Placement reads a
 * handful of numbers per candidate, and 10,000 workers then cost a few hundred bytes each
 * instead of an object graph per worker. Workers with the same labels and handlers share a
 * `WorkerClass`: matching a job's labels, constraints and handler is done once per class, not
 * once per worker.
 */
import type { Labels } from "../domain/primitives.ts";
import type { Telemetry, WorkerCapacity } from "../domain/worker.ts";
import { Columns } from "./columns.ts";

export interface WorkerClass {
  readonly id: number;
  readonly labels: Labels;
  readonly handlers: ReadonlySet<string>;
  /** Slots of the workers in this class; order is irrelevant (swap-remove). */
  readonly members: number[];
}

export interface Demand {
  readonly cpuMillis: number;
  readonly memoryMb: number;
  readonly gpus: number;
}

export interface Reservation extends Demand {
  readonly slot: number;
  readonly concurrencyKey: string | undefined;
}

export interface WorkerView {
  readonly id: string;
  readonly capacity: WorkerCapacity;
  readonly reserved: Demand & { readonly jobs: number };
  readonly labels: Labels;
  readonly handlers: ReadonlyArray<string>;
  readonly healthy: boolean;
  readonly draining: boolean;
  readonly lastHeartbeatAt: number;
  readonly telemetry: Omit<Telemetry, "at"> | null;
}

export class ClusterState {
  readonly c = new Columns();
  readonly ids: Array<string | undefined> = [];
  readonly classOf: number[] = [];
  readonly classes: WorkerClass[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly classByKey = new Map<string, WorkerClass>();
  private readonly free: number[] = [];
  readonly reservations = new Map<string, Reservation>();
  /** The jobs reserved on each slot, created on first use: a lost worker's jobs in O(its jobs). */
  private readonly jobsBySlot: Array<Set<string> | undefined> = [];
  /** Bumped when a class is added: cached job → classes matches are then stale. */
  classVersion = 0;

  get size(): number {
    return this.slotOf.size;
  }

  slot(workerId: string): number | undefined {
    return this.slotOf.get(workerId);
  }

  /** Registers a worker, or updates it in place when the id is known (a reconnect). */
  upsert(
    id: string,
    capacity: WorkerCapacity,
    labels: Labels,
    handlers: ReadonlyArray<string>,
    at: number,
  ): number {
    let slot = this.slotOf.get(id);
    const fresh = slot === undefined;
    const cls = this.classFor(labels, handlers);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.ids.length;
      this.c.ensure(slot + 1);
      this.ids[slot] = id;
      this.slotOf.set(id, slot);
      this.classOf[slot] = cls.id;
      cls.members.push(slot);
      this.c.clearUsage(slot);
    } else if (this.classOf[slot] !== cls.id) {
      this.leaveClass(slot);
      this.classOf[slot] = cls.id;
      cls.members.push(slot);
    }
    // A reconnect keeps what the worker was told (draining stays draining). A smaller capacity
    // than it holds leaves its reservations standing; it takes nothing new until they end.
    if (fresh) this.c.draining[slot] = 0;
    this.c.setCapacity(slot, capacity);
    this.c.healthy[slot] = 1;
    this.c.lastHeartbeat[slot] = at;
    return slot;
  }

  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    for (const jobId of this.jobsOn(slot)) this.release(jobId);
    this.leaveClass(slot);
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.c.healthy[slot] = 0;
    this.free.push(slot);
  }

  heartbeat(slot: number, t: Telemetry | null, at: number): void {
    this.c.lastHeartbeat[slot] = at;
    if (t !== null) this.c.setTelemetry(slot, t);
  }

  setHealthy(slot: number, healthy: boolean): void {
    this.c.healthy[slot] = healthy ? 1 : 0;
  }

  setDraining(slot: number, draining: boolean): void {
    this.c.draining[slot] = draining ? 1 : 0;
  }

  reserve(jobId: string, slot: number, d: Demand, concurrencyKey: string | undefined): void {
    this.reservations.set(jobId, { slot, concurrencyKey, ...d });
    (this.jobsBySlot[slot] ??= new Set()).add(jobId);
    this.c.addReserved(slot, d, 1);
  }

  release(jobId: string): Reservation | undefined {
    const r = this.reservations.get(jobId);
    if (r === undefined) return undefined;
    this.reservations.delete(jobId);
    this.jobsBySlot[r.slot]?.delete(jobId);
    this.c.addReserved(r.slot, r, -1);
    return r;
  }

  jobsOn(slot: number): string[] {
    return [...(this.jobsBySlot[slot] ?? [])];
  }

  view(slot: number): WorkerView {
    const cls = this.classes[this.classOf[slot]!]!;
    return {
      id: this.ids[slot]!,
      ...this.c.viewOf(slot),
      labels: { ...cls.labels },
      handlers: [...cls.handlers],
    };
  }

  views(): WorkerView[] {
    return [...this.slotOf.values()].map((s) => this.view(s));
  }

  private classFor(labels: Labels, handlers: ReadonlyArray<string>): WorkerClass {
    const sortedHandlers = [...new Set(handlers)].sort();
    const key = JSON.stringify([Object.entries(labels).sort(), sortedHandlers]);
    let cls = this.classByKey.get(key);
    if (cls === undefined) {
      cls = {
        id: this.classes.length,
        labels: { ...labels },
        handlers: new Set(sortedHandlers),
        members: [],
      };
      this.classes.push(cls);
      this.classByKey.set(key, cls);
      this.classVersion++;
    }
    return cls;
  }

  private leaveClass(slot: number): void {
    const members = this.classes[this.classOf[slot]!]!.members;
    const i = members.indexOf(slot);
    if (i >= 0) {
      members[i] = members[members.length - 1]!;
      members.pop();
    }
  }
}
