/**
 * The job spec `hodei submit` sends: built from flags, or read from a JSON or YAML file, and
 * checked here with the domain's own schema before anything is sent, so that every problem is
 * reported at once and in the terms the user wrote: a flag's name for a spec made of flags
 * (`--retries: expected …`), the field's path in the file for a spec file (`job.yaml:
 * retry.maxAttempts: …`). The supervisor checks again; its refusal is reported the same way.
 */
import type { Issue } from "../domain/errors.ts";
import { exitCodes } from "./exit-codes.ts";
import { parseJsonFlag, readDataFile } from "./options.ts";

export interface SubmitFlags {
  readonly file?: string;
  readonly command?: string;
  readonly handler?: string;
  readonly input?: string;
  readonly name?: string;
  readonly label?: Record<string, string>;
  readonly cpu?: number;
  readonly memory?: number;
  readonly timeout?: number;
  readonly retries?: number;
  readonly priority?: string;
  readonly queue?: string;
  readonly delay?: number;
  readonly runAt?: string;
}

/** Where a spec came from, to name its problems in its own terms. */
export type SpecSource =
  { readonly kind: "flags" } | { readonly kind: "file"; readonly path: string };

export const specFromFlags = (o: SubmitFlags): Record<string, unknown> => ({
  name: o.name ?? o.handler ?? "job",
  ...(o.handler !== undefined
    ? {
        handler: {
          name: o.handler,
          input: o.input === undefined ? null : parseJsonFlag(o.input, "--input"),
        },
      }
    : { command: { shell: o.command ?? "" } }),
  ...(o.label !== undefined ? { labels: o.label } : {}),
  ...(o.cpu !== undefined || o.memory !== undefined
    ? {
        resources: {
          ...(o.cpu !== undefined ? { cpuMillis: o.cpu } : {}),
          ...(o.memory !== undefined ? { memoryMb: o.memory } : {}),
        },
      }
    : {}),
  ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
  ...(o.retries !== undefined ? { retry: { maxAttempts: o.retries + 1 } } : {}),
  ...(o.priority !== undefined
    ? { priority: /^\d+$/.test(o.priority) ? Number(o.priority) : o.priority }
    : {}),
  ...(o.queue !== undefined ? { queue: o.queue } : {}),
  ...(o.delay !== undefined ? { delayMs: o.delay } : {}),
  ...(o.runAt !== undefined ? { runAt: o.runAt } : {}),
});

/** The spec to submit, from `--file` or the other flags, with where it came from. */
export const specOf = async (
  o: SubmitFlags,
): Promise<{ readonly spec: unknown; readonly source: SpecSource }> =>
  o.file !== undefined
    ? { spec: await readDataFile(o.file, "--file"), source: { kind: "file", path: o.file } }
    : { spec: specFromFlags(o), source: { kind: "flags" } };

/** Which flag wrote the field at `path`, for a spec made of flags. */
const flagOf = (path: string): string | undefined => {
  const [head, next] = path.split(".");
  if (head === "command") return "--command";
  if (head === "handler") return next === "input" ? "--input" : "--handler";
  if (head === "labels") return "--label";
  if (head === "resources") return next === "memoryMb" ? "--memory" : "--cpu";
  if (head === "timeoutMs") return "--timeout";
  if (head === "retry") return "--retries";
  if (head === "priority") return "--priority";
  if (head === "queue") return "--queue";
  if (head === "name") return "--name";
  if (head === "delayMs") return "--delay";
  if (head === "runAt") return "--run-at";
  return undefined;
};

/** `--retries n` is `retry.maxAttempts n + 1`: its bounds are said in retries. */
const inFlagTerms = (flag: string | undefined, issue: Issue): string => {
  const bounds = /(?:from|between) (\d+) (?:to|and) (\d+), actual (-?\d+)/.exec(issue.message);
  if (flag === "--retries" && bounds !== null) {
    const [, min, max, actual] = bounds.map(Number) as [number, number, number, number];
    return `expected from ${min - 1} to ${max - 1} retries, got ${actual - 1}`;
  }
  return issue.message;
};

/** Each problem, in the terms of where the spec came from. */
export const describeIssues = (issues: ReadonlyArray<Issue>, source: SpecSource): string[] =>
  issues.map((issue) => {
    if (source.kind === "file")
      return `${source.path}: ${issue.path || "(the spec)"}: ${issue.message}`;
    const flag = flagOf(issue.path);
    return `${flag ?? (issue.path || "the job")}: ${inFlagTerms(flag, issue)}`;
  });

/** Every problem of the spec, as the schema finds them; empty when it is valid. */
export const specIssues = async (spec: unknown): Promise<ReadonlyArray<Issue>> => {
  // The schema (effect) loads only for a submit: a list or a get does not pay for it.
  const [{ decodeJobSpecWithSchema }, { Either }] = await Promise.all([
    import("../domain/decode.ts"),
    import("effect"),
  ]);
  const decoded = decodeJobSpecWithSchema(spec);
  return Either.isLeft(decoded) ? decoded.left.issues : [];
};

/** Reports a refused spec, every problem on its own line, and exits 2 (nothing was sent). */
export const refuseSpec = (issues: ReadonlyArray<Issue>, source: SpecSource): never => {
  const what = source.kind === "file" ? `the job spec in ${source.path}` : "the job";
  const lines = describeIssues(issues, source);
  process.stderr.write(
    `hodei: ${what} is not valid (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.map((l) => `  ${l}`).join("\n")}\n`,
  );
  process.exit(exitCodes.usage);
};
