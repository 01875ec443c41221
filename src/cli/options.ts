/** Option parsers shared by the `hodei` subcommands (commander calls them per occurrence). */
import { InvalidArgumentError } from "commander";

/** `--label key=value`, repeatable: the pairs collected into one record. */
export const labels = (v: string, previous: Record<string, string> = {}) => {
  const i = v.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(v)}`);
  return { ...previous, [v.slice(0, i)]: v.slice(i + 1) };
};
