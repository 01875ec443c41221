/**
 * The cluster at a glance, as the dashboard's overview shows it: workers healthy and lost, the
 * healthy workers' capacity against what placed jobs reserve and what the agents measure, the
 * queue by priority, and jobs per second in (accepted) and out (finished).
 *
 * The rates come from the job events (`RateWindow`, fed by the event hub): per-second buckets
 * over the last ten seconds, so the numbers need no store reads and no polling.
 */
import { isTerminalJobState } from "../../domain/job-state.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import type { JobEvent } from "../../supervisor/topics.ts";
import type { Overview } from "../dashboard-schemas.ts";

const windowSeconds = 10;

export interface RateWindow {
  readonly record: (e: JobEvent) => void;
  readonly rates: (now: number) => Overview["rates"];
}

export const makeRateWindow = (): RateWindow => {
  // bucket index (epoch second mod window) -> [second, in, out]
  const buckets = Array.from({ length: windowSeconds }, () => ({ second: -1, in: 0, out: 0 }));
  const bucket = (second: number) => {
    const b = buckets[second % windowSeconds]!;
    if (b.second !== second) Object.assign(b, { second, in: 0, out: 0 });
    return b;
  };
  return {
    record: (e) => {
      const accepted = e.state === "queued" && e.attempt === 0;
      const finished = isTerminalJobState(e.state);
      if (!accepted && !finished) return;
      const b = bucket(Math.floor(e.at / 1000));
      if (accepted) b.in++;
      else b.out++;
    },
    rates: (now) => {
      const last = Math.floor(now / 1000);
      let inCount = 0;
      let outCount = 0;
      for (const b of buckets) {
        if (b.second > last - windowSeconds && b.second <= last) {
          inCount += b.in;
          outCount += b.out;
        }
      }
      return { inPerSecond: inCount / windowSeconds, outPerSecond: outCount / windowSeconds };
    },
  };
};

export const overviewOf = (core: SupervisorCore, rates: RateWindow, now: number): Overview => {
  const workers = { healthy: 0, lost: 0, draining: 0 };
  const capacity = { cpuMillis: 0, memoryMb: 0 };
  const reserved = { cpuMillis: 0, memoryMb: 0 };
  const measured = { cpuMillis: 0, memoryMb: 0 };
  for (const w of core.workers.views()) {
    if (!w.healthy) {
      workers.lost++;
      continue;
    }
    workers.healthy++;
    if (w.draining) workers.draining++;
    capacity.cpuMillis += w.capacity.cpuMillis;
    capacity.memoryMb += w.capacity.memoryMb;
    reserved.cpuMillis += w.reserved.cpuMillis;
    reserved.memoryMb += w.reserved.memoryMb;
    if (w.telemetry !== null) {
      measured.cpuMillis += Math.round((w.telemetry.cpuPercent / 100) * w.capacity.cpuMillis);
      measured.memoryMb += w.telemetry.memoryUsedMb;
    }
  }
  const queue = core.scheduling.queuedByPriority().map(([priority, jobs]) => ({ priority, jobs }));
  return {
    at: now,
    workers,
    capacity,
    reserved,
    measured,
    queue,
    queued: core.scheduling.queued(),
    placed: core.scheduling.placed(),
    rates: rates.rates(now),
  };
};
