/**
 * `hodei serve`: the supervisor. Its flags are the settings of the config schema (config.ts,
 * through config-docs.ts), so `--help`, `hodei config --print-defaults` and the README's table
 * say the same; secrets have no flag (only HODEI_* variables or the file). A bad setting, an
 * address in use, a store it cannot use or a pipelines module that exports none exits 2 with
 * the reason.
 */
import { randomBytes } from "node:crypto";
import { Option, type Command } from "commander";
import { Cause, Either, Runtime } from "effect";
import { loadConfig } from "../config.ts";
import { settingDocs } from "../config-docs.ts";
import { exitCodes } from "./exit-codes.ts";
import { usageError } from "./options.ts";

/** Errors of start-up that are the operator's to fix: said in one line, exit 2. */
const startupProblem = (e: unknown): string | undefined => {
  const tag = (e as { _tag?: unknown } | null)?._tag;
  return tag === "HttpListenError" || tag === "HwpListenError" ? (e as Error).message : undefined;
};

/**
 * A refused configuration, each problem named as the user gave the setting: the flag, the
 * environment variable, or the key of the config file.
 */
const configProblems = (e: Error, flags: Record<string, string | undefined>): string => {
  const issues = (e as { issues?: ReadonlyArray<{ path: string; message: string }> }).issues;
  if (issues === undefined || issues.length === 0) return `invalid configuration: ${e.message}`;
  const docs = new Map(settingDocs().map((d) => [d.key as string, d]));
  const file = flags["config"] ?? process.env["HODEI_CONFIG"];
  // One line per setting: a union's alternatives come as one issue each.
  const named = new Map<string, string[]>();
  for (const { path, message } of issues) {
    const doc = docs.get(path.split(".")[0]!);
    const where =
      doc === undefined
        ? path
        : doc.flag !== undefined && flags[doc.key] !== undefined
          ? doc.flag
          : process.env[doc.env]
            ? doc.env
            : file !== undefined
              ? `${file}: ${doc.key}`
              : doc.key;
    named.set(where, [...(named.get(where) ?? []), message]);
  }
  const lines = [...named].map(([where, messages]) => `  ${where}: ${messages.join("; ")}`);
  return `invalid configuration (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
};

export const registerServe = (program: Command): void => {
  const serve = program
    .command("serve")
    .description("run the supervisor (HTTP API, worker protocol, scheduler, store)")
    .option("--config <file>", "a JSON or YAML file of settings (HODEI_CONFIG)");
  for (const s of settingDocs()) {
    if (s.flag === undefined) continue;
    const defaults = s.default !== undefined && !s.switch ? `, default ${s.default}` : "";
    const help = `${s.description} (${s.env}${defaults})`;
    serve.addOption(new Option(s.switch ? s.flag : `${s.flag} <value>`, help));
  }
  serve.action(async (given: Record<string, string | boolean | undefined>) => {
    // A switch given is the setting's text "true", as from the environment.
    const flags = Object.fromEntries(
      Object.entries(given).map(([k, v]) => [k, v === true ? "true" : v === false ? undefined : v]),
    ) as Record<string, string | undefined>;
    const config = loadConfig(flags);
    if (Either.isLeft(config)) return usageError(configProblems(config.left, flags));
    let c = config.right;
    const [{ serve }, { httpStarter }, { loadPipelines }] = await Promise.all([
      import("./serve.ts"),
      import("../api/starter.ts"),
      import("./load-pipelines.ts"),
    ]);
    const pipelines =
      c.pipelines === undefined
        ? []
        : await loadPipelines(c.pipelines).catch((e: unknown) =>
            usageError(e instanceof Error ? e.message : String(e)),
          );
    // Agents must authenticate. Without a token or JWT secret configured, a random token
    // keeps the worker port private to the local agents this process starts.
    if (c.workerToken === undefined && c.jwtSecret === undefined) {
      c = { ...c, workerToken: randomBytes(24).toString("base64url") };
      process.stderr.write(
        "hodei: no HODEI_WORKER_TOKEN or HODEI_JWT_SECRET set: only local agents can connect\n",
      );
    }
    const { storeUnusableIn } = await import("../persistence/errors.ts");
    await serve(c, httpStarter, pipelines).catch((e: unknown) => {
      // An Effect failure arrives wrapped in a FiberFailure; its cause is what to act on.
      const cause = Runtime.isFiberFailure(e) ? Cause.squash(e[Runtime.FiberFailureCauseId]) : e;
      // A store it cannot use (another supervisor holds it, a directory of other files,
      // another application's or format's data, a database it cannot reach) or a setting the
      // operator must fix: one line, exit 2.
      const problem = storeUnusableIn(e)?.message ?? startupProblem(cause);
      if (problem === undefined) throw e;
      process.stderr.write(`hodei: ${problem}\n`);
      process.exit(exitCodes.usage);
    });
  });
};
