/**
 * `npm run bench -- actors`:
 * - 100,000 job actors spawned and driven through a whole lifecycle (queued → scheduled →
 *   running → succeeded) by the runtime, with every change committed to the memory snapshot
 *   store and every finished actor passivated. The effect handler stands in for the scheduler
 *   and the agent: it answers each transition with the next message, so every step goes
 *   through a round, a group commit and an effect.
 * - The job machine's step alone (fixtures/machine-step.ts): compiled, through the runtime's driver,
 *   and through XState, in the same run.
 */
import { Effect } from "effect";
import { makeMemorySnapshotStore } from "../src/persistence/memory/snapshots.ts";
import { makeActorSystem } from "../src/runtime/index.ts";
import { hodeiBehaviours, jobAddress } from "../src/supervisor/kinds.ts";
import { machineStep } from "./fixtures/machine-step.ts";
import { gc, median, printJson, printTable, round } from "./report.ts";

const JOBS = 100_000;
const RUNS = 3;
const retry = {
  maxAttempts: 3,
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0.2,
};

interface RunFigures {
  readonly lifecyclesPerS: number;
  /** What the runtime still holds once every actor is passivated, beyond the store. */
  readonly heapGrowthMb: number;
  /** The memory store's own index on the heap (keys, Buffer handles): a real store's is on disk. */
  readonly storeHeapMb: number;
  readonly storeMb: number;
  readonly commits: number;
  readonly live: number;
}

const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const once = async (run: number): Promise<RunFigures> => {
  const before = heapMb();
  let store: ReturnType<typeof makeMemorySnapshotStore> | undefined = makeMemorySnapshotStore();
  const figures = await lifecycles(run, store);
  const storeOnly = heapMb();
  store = undefined;
  return {
    ...figures,
    heapGrowthMb: figures.heapGrowthMb - storeOnly,
    storeHeapMb: storeOnly - before,
  };
};

const lifecycles = (
  run: number,
  store: ReturnType<typeof makeMemorySnapshotStore>,
): Promise<RunFigures> => {
  let succeeded = 0;
  return Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const system = yield* makeActorSystem({
          behaviours: hodeiBehaviours,
          store,
          onEffect: (from, e) => {
            if (e.type !== "job.transitioned") return;
            const to = from as `job/${string}`;
            const at = system.now();
            if (e.state === "queued") {
              system.offer(to, { type: "schedule", at, workerId: "w1", acceptBy: at + 30_000 });
            } else if (e.state === "scheduled") {
              system.offer(to, { type: "started", at, attempt: e.attempt });
            } else if (e.state === "running") {
              system.offer(to, { type: "succeeded", at, attempt: e.attempt, exitCode: 0 });
            } else if (e.state === "succeeded") succeeded++;
          },
        });
        const start = performance.now();
        for (let i = 0; i < JOBS; i++) {
          const id = `R${run}J${i}`;
          yield* system.spawn(jobAddress(id), {
            jobId: id,
            retry,
            timeoutMs: 600_000,
            cancelGraceMs: 10_000,
            at: system.now(),
          });
        }
        yield* system.settled;
        const seconds = (performance.now() - start) / 1000;
        if (succeeded !== JOBS) throw new Error(`only ${succeeded} of ${JOBS} jobs succeeded`);
        return {
          lifecyclesPerS: JOBS / seconds,
          // Absolute for now: `once` subtracts what remains when only the store is left.
          heapGrowthMb: heapMb(),
          storeHeapMb: 0,
          storeMb: store.bytes() / 2 ** 20,
          commits: store.commits(),
          live: system.stats().live,
        };
      }),
    ),
  );
};

export const run = async (): Promise<void> => {
  const step = machineStep();
  const runs: RunFigures[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(i));
  printTable(
    `actors: ${JOBS} job lifecycles (spawn + 3 messages), memory store, passivation`,
    runs.map((r, i) => ({
      run: i + 1,
      "lifecycles/s": Math.round(r.lifecyclesPerS),
      "runtime heap growth MB": round(r.heapGrowthMb),
      "store index on heap MB": round(r.storeHeapMb),
      "store MB (off-heap)": round(r.storeMb),
      commits: r.commits,
      "live actors after": r.live,
    })),
  );
  printJson({
    bench: "actors",
    job_lifecycles_per_s: Math.round(median(runs.map((r) => r.lifecyclesPerS))),
    heap_growth_after_passivation_mb: round(median(runs.map((r) => r.heapGrowthMb))),
    ...step,
  });
};
