/**
 * Helpers shared by the `hodei` subcommands: option parsers (commander calls them per
 * occurrence), the `--api` option of the client commands, printing (`--json`, JSON lines, or
 * for people), the exit on a usage error, and reading a JSON or YAML file or a JSON argument.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError, Option } from "commander";
import { exitCodes } from "./exit-codes.ts";

/** `--label key=value`, repeatable: the pairs collected into one record. */
export const labels = (v: string, previous: Record<string, string> = {}) => {
  const i = v.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(v)}`);
  return { ...previous, [v.slice(0, i)]: v.slice(i + 1) };
};

/** A whole number flag, `what` saying in the user's terms what it counts. */
export const wholeNumber =
  (what: string, min = 0) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number of ${what} (${min} or more)`);
    }
    return n;
  };

/** The supervisor's HTTP API, for every client command. */
export const apiOption = () =>
  new Option("--api <url>", "supervisor HTTP API")
    .env("HODEI_API_URL")
    .default("http://127.0.0.1:8080");

/** `--json`: the value as JSON; otherwise the human form. */
export const print = (json: boolean, value: unknown, human: () => string) =>
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);

/** One event of a followed job or run, as one line of JSON (`--json` with `-f` or `run`). */
export const jsonLine = (event: string, fields: Readonly<Record<string, unknown>>) =>
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

/** A bad flag, argument or file: one line (or a few) on stderr, exit code 2. */
export const usageError = (message: string): never => {
  process.stderr.write(`hodei: ${message}\n`);
  process.exit(exitCodes.usage);
};

/** The first line of an error's message (YAML's errors go on to draw the spot). */
const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0]!;

/** A `.json` file as JSON, anything else as YAML (a superset of JSON); a usage error if bad. */
export const readDataFile = async (path: string, flag: string): Promise<unknown> => {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return usageError(`${flag} ${path}: ${why(e)}`);
  }
  try {
    if (path.endsWith(".json")) return JSON.parse(text);
    // Loaded when a file asks for it: most commands never read YAML.
    const { parse } = await import("yaml");
    return parse(text);
  } catch (e) {
    return usageError(
      `${flag} ${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${why(e)}`,
    );
  }
};

/** A JSON argument (`--input '{"a":1}'`); a usage error if it does not parse. */
export const parseJsonFlag = (text: string, flag: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (e) {
    return usageError(`${flag} is not valid JSON: ${why(e)}`);
  }
};
