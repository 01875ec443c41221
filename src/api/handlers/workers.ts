/**
 * The worker routes. A worker as the API shows it joins three sources: the stored record (name,
 * registration time), the scheduler's view (capacity, reservations, health, telemetry, last
 * heartbeat) and the worker actor (its lifecycle state), each through the core's `workers` port. A worker the scheduler has forgotten
 * (offline) still shows from its record, with nothing reserved and not healthy.
 */
import { Effect } from "effect";
import type { WorkerInfo } from "../../domain/worker.ts";
import type { WorkerView } from "../../scheduler/cluster-state.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import { notFound } from "../errors.ts";
import type { Handlers } from "../router.ts";
import type { WorkerSummary } from "../schemas.ts";
import type { ApiContext } from "./context.ts";

const summarize = (
  core: SupervisorCore,
  id: string,
  view: WorkerView | undefined,
  info: WorkerInfo | undefined,
) =>
  Effect.map(core.workers.state(id), (state): WorkerSummary => {
    const capacity = view?.capacity ??
      info?.capacity ?? { cpuMillis: 0, memoryMb: 0, gpus: 0, maxJobs: 1 };
    const reserved = view?.reserved ?? { cpuMillis: 0, memoryMb: 0, gpus: 0, jobs: 0 };
    return {
      id,
      name: info?.name ?? id,
      state,
      capacity,
      reserved,
      free: {
        cpuMillis: capacity.cpuMillis - reserved.cpuMillis,
        memoryMb: capacity.memoryMb - reserved.memoryMb,
        gpus: capacity.gpus - reserved.gpus,
        jobs: capacity.maxJobs - reserved.jobs,
      },
      labels: view?.labels ?? info?.labels ?? {},
      handlers: view?.handlers ?? info?.handlers ?? [],
      healthy: view?.healthy ?? false,
      draining: view?.draining ?? false,
      registeredAt: info?.registeredAt ?? null,
      lastHeartbeatAt: view?.lastHeartbeatAt ?? info?.lastHeartbeatAt ?? 0,
      telemetry: view?.telemetry ?? null,
    };
  });

const one = (core: SupervisorCore, id: string) =>
  Effect.gen(function* () {
    const view = core.workers.views().find((w) => w.id === id);
    const info = yield* core.workers.record(id);
    if (view === undefined && info === undefined) return yield* notFound("worker", id);
    return yield* summarize(core, id, view, info);
  });

export const workerHandlers = (
  ctx: ApiContext,
): Pick<Handlers, "listWorkers" | "getWorker" | "drainWorker" | "pruneWorkers"> => {
  const { core } = ctx;
  return {
    listWorkers: () =>
      Effect.gen(function* () {
        const views = new Map(core.workers.views().map((w) => [w.id, w]));
        const infos = new Map<string, WorkerInfo>(
          (yield* core.workers.records()).map((w) => [w.id, w]),
        );
        const ids = [...new Set([...infos.keys(), ...views.keys()])].sort();
        const workers = yield* Effect.forEach(ids, (id) =>
          summarize(core, id, views.get(id), infos.get(id)),
        );
        return { status: 200, body: { workers } };
      }),
    getWorker: ({ path }) => Effect.map(one(core, path.id), (w) => ({ status: 200, body: w })),
    pruneWorkers: () =>
      Effect.map(core.pruneWorkers(), (pruned) => ({ status: 200, body: { pruned } })),
    drainWorker: ({ path }) =>
      Effect.gen(function* () {
        yield* one(core, path.id);
        yield* core.drainWorker(path.id);
        return { status: 202, body: yield* one(core, path.id) };
      }),
  };
};
