/**
 * Helpers shared by the `hodei` subcommands: option parsers (commander calls them per
 * occurrence), the `--api` option of the client commands, printing (`--json` or for people),
 * usage errors (exit 2), and reading
 * a JSON or YAML file or a JSON argument.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError, Option } from "commander";
import { parse as parseYaml } from "yaml";

/** `--label key=value`, repeatable: the pairs collected into one record. */
export const labels = (v: string, previous: Record<string, string> = {}) => {
  const i = v.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(v)}`);
  return { ...previous, [v.slice(0, i)]: v.slice(i + 1) };
};

/** The supervisor's HTTP API, for every client command. */
export const apiOption = () =>
  new Option("--api <url>", "supervisor HTTP API")
    .env("HODEI_API_URL")
    .default("http://127.0.0.1:8080");

/** `--json`: the value as JSON; otherwise the human form. */
export const print = (json: boolean, value: unknown, human: () => string) =>
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);

/** A bad flag or argument: one line on stderr, exit code 2. */
export const usageError = (message: string): never => {
  process.stderr.write(`hodei: ${message}\n`);
  process.exit(2);
};

/** The first line of an error's message (YAML's errors go on to draw the spot). */
const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0]!;

/** A `.json` file as JSON, anything else as YAML (a superset of JSON); a usage error if bad. */
export const readDataFile = (path: string, flag: string): unknown => {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return usageError(`${flag} ${path}: ${why(e)}`);
  }
  try {
    return path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
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
