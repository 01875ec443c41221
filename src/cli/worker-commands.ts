/**
 * `hodei workers [list]`, `workers get|drain <id>` and `workers prune`: the agents a supervisor
 * knows, with their names, labels, capacity, what is reserved on them, and health. A lost worker
 * is forgotten after `workerRetentionMs`; `prune` forgets lost and offline workers now.
 */
import type { Command } from "commander";
import type { WorkerSummary } from "../api/schemas.ts";
import { ApiClient } from "./api-client.ts";
import { ago } from "./job-view.ts";
import { apiOption, print } from "./options.ts";

const api = (o: { api: string }) => new ApiClient(o.api, process.env["HODEI_API_TOKEN"]);

const labelsOf = (w: WorkerSummary) =>
  [
    ...Object.entries(w.labels).map(([k, v]) => `${k}=${v}`),
    ...w.handlers.map((h) => `handler:${h}`),
  ].join(",") || "-";

/** The state an operator cares about: lost and draining say more than the machine's state. */
const health = (w: WorkerSummary) =>
  w.draining ? "draining" : w.healthy ? w.state : w.state === "offline" ? "offline" : "lost";

export const workerTable = (workers: ReadonlyArray<WorkerSummary>, now: number): string => {
  const rows = [
    ["ID", "NAME", "STATE", "JOBS", "CPU (m)", "MEMORY (MB)", "LABELS", "SEEN"],
    ...workers.map((w) => [
      w.id,
      w.name,
      health(w),
      `${w.reserved.jobs}/${w.capacity.maxJobs}`,
      `${w.reserved.cpuMillis}/${w.capacity.cpuMillis}`,
      `${w.reserved.memoryMb}/${w.capacity.memoryMb}`,
      labelsOf(w),
      w.lastHeartbeatAt > 0 ? ago(w.lastHeartbeatAt, now) : "-",
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((x, c) => x.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

export const registerWorkerCommands = (program: Command): void => {
  const workers = program
    .command("workers")
    .description("list workers, or show, drain or prune them");
  workers
    .command("list", { isDefault: true })
    .description("workers with their capacity, usage, labels and health")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: { api: string; json?: boolean }) => {
      const list = await api(o).workers();
      print(o.json === true, { workers: list }, () =>
        list.length === 0 ? "no workers" : workerTable(list, Date.now()),
      );
    });
  workers
    .command("get <id>")
    .description("one worker, with its telemetry")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: { api: string; json?: boolean }) => {
      const w = await api(o).worker(id);
      print(o.json === true, w, () => {
        const t = w.telemetry;
        return [
          workerTable([w], Date.now()),
          ...(t === null
            ? []
            : [
                `telemetry: cpu ${t.cpuPercent.toFixed(0)}%, memory ${Math.round(t.memoryUsedMb)}/${Math.round(t.memoryTotalMb)} MB, load ${t.load1.toFixed(2)}, disk free ${Math.round(t.diskFreeMb)} MB, ${t.runningJobs} running`,
              ]),
        ].join("\n");
      });
    });
  workers
    .command("drain <id>")
    .description("take no new jobs; it leaves once its jobs are done")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: { api: string; json?: boolean }) => {
      const w = await api(o).drainWorker(id);
      print(o.json === true, w, () => `draining ${w.id} (${w.name})`);
    });
  workers
    .command("prune")
    .description("forget lost and offline workers now (else after workerRetentionMs)")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: { api: string; json?: boolean }) => {
      const pruned = await api(o).pruneWorkers();
      print(o.json === true, { pruned }, () =>
        pruned.length === 0 ? "nothing to prune" : `pruned ${pruned.join(", ")}`,
      );
    });
};
