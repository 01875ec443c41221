/**
 * Placement: choose a worker for one job. Filter, then score.
 *
 * Filter: the worker's class matches the job's labels, constraints and handler (decided once
 * per class and cached by the job's requirement signature); the worker is healthy, not
 * draining, has a free job slot, and the job's CPU, memory and GPUs fit in its capacity minus
 * its reservations.
 *
 * Score, higher is better, with the measured CPU counted so that a pegged worker loses even
 * when its reservations say it has room:
 * - `spread` (latency): the free share left on the worker, minus its measured CPU share.
 * - `binpack` (cost): the used share after placing the job, minus the measured CPU share when
 *   the machine runs hot (over 90%).
 *
 * Search: in a large class, `samples` random feasible workers are ranked (like Nomad's "power of
 * two choices" for batch work) instead of all of them; if random probing finds none, a full
 * scan decides, so a job that fits somewhere is never left queued because of sampling.
 */
import { firstUnmet, type Constraint } from "../domain/constraint.ts";
import type { Labels } from "../domain/primitives.ts";
import type { ClusterState, Demand, WorkerClass } from "./cluster-state.ts";
import type { Strategy } from "./job-queue.ts";

export interface Requirements {
  readonly labels: Labels;
  readonly constraints: ReadonlyArray<Constraint>;
  readonly handler: string | undefined;
}

export const classMatches = (cls: WorkerClass, r: Requirements): boolean =>
  (r.handler === undefined || cls.handlers.has(r.handler)) &&
  firstUnmet(cls.labels, r.labels, r.constraints) === undefined;

const hasOwnKeys = (o: object): boolean => {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
};

const jsonKey = (r: Requirements): string =>
  JSON.stringify([r.handler ?? null, Object.entries(r.labels).sort(), r.constraints]);

/**
 * JSON keys of frozen labels and constraints, by identity and handler: the supervisor keeps a
 * job's labels and constraints shared and frozen (spec-intern.ts), so most jobs with labels
 * find their key here instead of making it again (it is made for every queued job).
 */
const frozenKeys = new WeakMap<object, WeakMap<object, Map<string | undefined, string>>>();

const keyOfFrozen = (r: Requirements): string => {
  let byConstraints = frozenKeys.get(r.labels);
  if (byConstraints === undefined) frozenKeys.set(r.labels, (byConstraints = new WeakMap()));
  let byHandler = byConstraints.get(r.constraints);
  if (byHandler === undefined) byConstraints.set(r.constraints, (byHandler = new Map()));
  let key = byHandler.get(r.handler);
  if (key === undefined) byHandler.set(r.handler, (key = jsonKey(r)));
  return key;
};

/**
 * One string per set of requirements. Most jobs name at most a handler: their key is made
 * without JSON (it is made for every placement); it cannot meet a JSON one, which starts `[`.
 */
export const requirementKey = (r: Requirements): string =>
  r.constraints.length === 0 && !hasOwnKeys(r.labels)
    ? r.handler === undefined
      ? ""
      : `h:${r.handler}`
    : Object.isFrozen(r.labels) && Object.isFrozen(r.constraints)
      ? keyOfFrozen(r)
      : jsonKey(r);

export class Placer {
  private cache = new Map<string, WorkerClass[]>();
  private cacheVersion = -1;
  /** A small xorshift generator: placement stays reproducible for a given seed. */
  private rng: number;

  constructor(
    private readonly state: ClusterState,
    private readonly samples: number,
    seed = 0x9e3779b9,
  ) {
    this.rng = seed >>> 0 || 1;
  }

  matching(r: Requirements): WorkerClass[] {
    if (this.cacheVersion !== this.state.classVersion) {
      this.cache.clear();
      this.cacheVersion = this.state.classVersion;
    }
    const key = requirementKey(r);
    let classes = this.cache.get(key);
    if (classes === undefined) {
      classes = this.state.classes.filter((c) => classMatches(c, r));
      this.cache.set(key, classes);
    }
    return classes;
  }

  feasible(slot: number, d: Demand): boolean {
    const c = this.state.c;
    return c.healthy[slot] === 1 && c.draining[slot] === 0 && c.fits(slot, d);
  }

  score(slot: number, d: Demand, strategy: Strategy): number {
    const c = this.state.c;
    const cpuShare = c.capCpu[slot]! > 0 ? (c.resCpu[slot]! + d.cpuMillis) / c.capCpu[slot]! : 0;
    const memShare = c.capMem[slot]! > 0 ? (c.resMem[slot]! + d.memoryMb) / c.capMem[slot]! : 0;
    const used = (cpuShare + memShare) / 2;
    const measured = Number.isNaN(c.cpuPct[slot]!) ? 0 : c.cpuPct[slot]! / 100;
    return strategy === "spread" ? 1 - used - measured : used - (measured > 0.9 ? measured : 0);
  }

  /** The chosen slot, or -1 when no worker can take the job now. */
  place(r: Requirements, d: Demand, strategy: Strategy): number {
    const classes = this.matching(r);
    let total = 0;
    for (const cls of classes) total += cls.members.length;
    if (total === 0) return -1;
    if (total > this.samples * 8) {
      const sampled = this.sample(classes, total, d, strategy);
      if (sampled >= 0) return sampled;
    }
    return this.scan(classes, d, strategy);
  }

  private scan(classes: ReadonlyArray<WorkerClass>, d: Demand, strategy: Strategy): number {
    let best = -1;
    let bestScore = -Infinity;
    for (const cls of classes) {
      for (const slot of cls.members) {
        if (!this.feasible(slot, d)) continue;
        const s = this.score(slot, d, strategy);
        if (s > bestScore) {
          best = slot;
          bestScore = s;
        }
      }
    }
    return best;
  }

  private sample(
    classes: ReadonlyArray<WorkerClass>,
    total: number,
    d: Demand,
    strategy: Strategy,
  ): number {
    let best = -1;
    let bestScore = -Infinity;
    let found = 0;
    for (let probe = 0; probe < this.samples * 4 && found < this.samples; probe++) {
      let i = this.next() % total;
      let slot = -1;
      for (const cls of classes) {
        if (i < cls.members.length) {
          slot = cls.members[i]!;
          break;
        }
        i -= cls.members.length;
      }
      if (slot < 0 || !this.feasible(slot, d)) continue;
      found++;
      const s = this.score(slot, d, strategy);
      if (s > bestScore) {
        best = slot;
        bestScore = s;
      }
    }
    return best;
  }

  private next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }
}
