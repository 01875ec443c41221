/**
 * `hodei queues [list]`, `queues get|pause|resume <name>` and `queues set <name>`: named queues
 * with their depth, running jobs and settings. Pausing keeps a queue's queued jobs queued (the
 * running ones finish); resuming places them in their order. `set` changes the limits:
 * `--concurrency 2` (jobs of the queue on workers at once; `none` removes the limit),
 * `--rate-limit 10/1000` (at most 10 placements in any 1000 ms; `none` removes it).
 */
import { InvalidArgumentError, type Command } from "commander";
import type { QueueView } from "../supervisor/queues.ts";
import { ApiClient } from "./api-client.ts";
import { apiOption, print, usageError } from "./options.ts";

const api = (o: { api: string }) => new ApiClient(o.api, process.env["HODEI_API_TOKEN"]);

/** `none` stays a string: commander turns an option's null into "". */
const concurrencyFlag = (v: string): number | "none" => {
  if (v === "none") return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a whole number of jobs (1 or more), or none");
  }
  return n;
};

const rateLimitFlag = (v: string): { max: number; perMs: number } | "none" => {
  if (v === "none") return v;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (m === null || Number(m[1]) < 1 || Number(m[2]) < 1) {
    throw new InvalidArgumentError("expected <max>/<ms>, e.g. 10/1000 (10 a second), or none");
  }
  return { max: Number(m[1]), perMs: Number(m[2]) };
};

const limitText = (q: QueueView) => ({
  concurrency: q.concurrency === null ? "-" : String(q.concurrency),
  rate: q.rateLimit === null ? "-" : `${q.rateLimit.max}/${q.rateLimit.perMs}ms`,
});

export const queueTable = (queues: ReadonlyArray<QueueView>): string => {
  const rows = [
    ["NAME", "STATE", "QUEUED", "RUNNING", "RATE-LIMITED", "CONCURRENCY", "RATE LIMIT"],
    ...queues.map((q) => {
      const l = limitText(q);
      return [
        q.name,
        q.paused ? "paused" : "active",
        String(q.queued),
        String(q.running),
        String(q.rateLimited),
        l.concurrency,
        l.rate,
      ];
    }),
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

type Flags = { api: string; json?: boolean };

export const registerQueueCommands = (program: Command): void => {
  const queues = program
    .command("queues")
    .description("list named queues, or show, pause, resume or limit one");
  queues
    .command("list", { isDefault: true })
    .description("queues with their jobs queued and running, state and limits")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: Flags) => {
      const list = await api(o).queues();
      print(o.json === true, { queues: list }, () => queueTable(list));
    });
  queues
    .command("get <name>")
    .description("one queue: its jobs queued, running and rate limited, state and limits")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (name: string, o: Flags) => {
      const q = await api(o).queue(name);
      print(o.json === true, q, () => queueTable([q]));
    });
  for (const [verb, paused, what] of [
    ["pause", true, "keep its queued jobs queued; running ones finish"],
    ["resume", false, "place its queued jobs again, in their order"],
  ] as const) {
    queues
      .command(`${verb} <name>`)
      .description(what)
      .addOption(apiOption())
      .option("--json", "print JSON")
      .action(async (name: string, o: Flags) => {
        const q = await api(o).setQueue(name, verb);
        print(o.json === true, q, () => `${paused ? "paused" : "resumed"} queue ${q.name}`);
      });
  }
  queues
    .command("set <name>")
    .description("change a queue's limits (stored: they outlive restarts)")
    .addOption(apiOption())
    .option("--concurrency <n>", "jobs of the queue on workers at once, or none", concurrencyFlag)
    .option("--rate-limit <max/ms>", "placements in any window of ms, or none", rateLimitFlag)
    .option("--json", "print JSON")
    .action(
      async (
        name: string,
        o: Flags & {
          concurrency?: number | "none";
          rateLimit?: { max: number; perMs: number } | "none";
        },
      ) => {
        if (o.concurrency === undefined && o.rateLimit === undefined)
          return usageError("queues set needs --concurrency or --rate-limit");
        const q = await api(o).updateQueue(name, {
          ...(o.concurrency !== undefined
            ? { concurrency: o.concurrency === "none" ? null : o.concurrency }
            : {}),
          ...(o.rateLimit !== undefined
            ? { rateLimit: o.rateLimit === "none" ? null : o.rateLimit }
            : {}),
        });
        print(o.json === true, q, () => queueTable([q]));
      },
    );
};
