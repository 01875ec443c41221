/**
 * `hodei jobs redrive [ids...]`: finished jobs run again, each as the same job (its next
 * attempt, its history kept). By ids, or by a filter: `--state` (default failed,timed_out),
 * `--handler`, `--error`, `--since`, `--limit`. Prints each job redriven, and each refused with
 * the reason; exits 1 if any was refused.
 */
import type { Command } from "commander";
import { ApiClient, ApiError } from "./api-client.ts";
import { exitCodes } from "./exit-codes.ts";
import { apiOption, print, usageError, wholeNumber } from "./options.ts";

interface Flags {
  readonly api: string;
  readonly state?: string;
  readonly handler?: string;
  readonly error?: string;
  readonly since?: string;
  readonly limit?: number;
  readonly json?: boolean;
}

const refused = (e: unknown): never => {
  if (!(e instanceof ApiError) || e.status !== 400) throw e;
  const issues = Array.isArray(e.details)
    ? (e.details as Array<{ path?: unknown; message?: unknown }>)
    : [];
  const lines = issues.map((i) => `--${String(i.path ?? "").split(".")[0]}: ${String(i.message)}`);
  return usageError(lines.length > 0 ? lines.join("; ") : e.message);
};

export const registerRedrive = (jobs: Command): void => {
  jobs
    .command("redrive [ids...]")
    .description("run finished jobs again (the same jobs, next attempt), by id or by a filter")
    .addOption(apiOption())
    .option("--state <states>", "final states to take, comma-separated (default failed,timed_out)")
    .option("--handler <name>", "only jobs of this handler")
    .option("--error <text>", "only jobs whose error contains this (any case)")
    .option("--since <when>", "only jobs that ended since: 90s, 15m, 1h, 2d or an RFC 3339 time")
    .option("--limit <n>", "at most this many, 1 to 1000 (default 100)", wholeNumber("jobs", 1))
    .option("--json", "print JSON ({ redriven, refused })")
    .action(async (ids: string[], o: Flags) => {
      const filter = {
        ...(o.state !== undefined ? { state: o.state.split(",") } : {}),
        ...(o.handler !== undefined ? { handler: o.handler } : {}),
        ...(o.error !== undefined ? { error: o.error } : {}),
        ...(o.since !== undefined ? { since: o.since } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
      };
      if (ids.length > 0 && Object.keys(filter).length > 0)
        return usageError(
          "give job ids or a filter (--state, --handler, --error, --since), not both",
        );
      const api = new ApiClient(o.api, process.env["HODEI_API_TOKEN"]);
      const result = await api.redrive(ids.length > 0 ? { ids } : filter).catch(refused);
      print(o.json === true, result, () =>
        [
          ...result.redriven.map((r) => `redriven ${r.id}  attempt ${r.attempt + 1} ${r.state}`),
          ...result.refused.map((r) => `refused ${r.id}: ${r.reason}`),
          `${result.redriven.length} redriven, ${result.refused.length} refused`,
        ].join("\n"),
      );
      if (result.refused.length > 0) process.exitCode = exitCodes.failed;
    });
};
