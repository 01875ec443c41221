/**
 * What a job runs: a process (`CommandSpec`) or a function registered by an agent
 * (`HandlerSpec`).
 *
 * A command is either `argv` (exec'd directly: no shell, no quoting surprises) or `shell` (a
 * script given to `/bin/sh -c`, for pipes and globs). Exactly one of them: accepting both would
 * leave the agent to guess which the user meant. A handler names an application function the
 * agent registered at start-up; the scheduler only places the job on agents that offer it.
 */
import { Schema } from "effect";
import { isNonEmptyReadonlyArray, type NonEmptyReadonlyArray } from "effect/Array";
import { boundedJson } from "./json.ts";
import {
  atMost,
  boundedString,
  HandlerName,
  Limits,
  objectExpected,
  patternString,
} from "./primitives.ts";

/** A FilterOutput naming the missing or the extra field, for "exactly one of `a` and `b`". */
export const exactlyOneOf =
  (a: string, b: string, owner: string) =>
  (value: object): Schema.FilterOutput => {
    const hasA = a in value;
    const hasB = b in value;
    if (hasA && hasB)
      return { path: [b], message: `is not allowed with "${a}": ${owner} takes one of them` };
    if (!hasA && !hasB)
      return { path: [a], message: `is missing: ${owner} needs "${a}" or "${b}"` };
    return undefined;
  };

const EnvName = patternString(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  Limits.nameLength,
  "an environment variable name: a letter or '_', then letters, digits, '_'",
);

export const Env = Schema.Record({
  key: EnvName,
  value: boundedString(0, Limits.envValueLength),
}).pipe(
  Schema.filter((r) => Object.keys(r).length <= Limits.envCount, {
    message: atMost(Limits.envCount, "variables", "an object of environment variables"),
    jsonSchema: { maxProperties: Limits.envCount },
  }),
  Schema.annotations({ description: "environment variables added to the agent's environment" }),
);

/** Non-empty: `argv[0]` is the program, so the executor can destructure it without a check. */
export const Argv = Schema.Array(boundedString(0, Limits.argLength)).pipe(
  Schema.maxItems(Limits.argvCount, {
    message: atMost(Limits.argvCount, "items", "an array of strings"),
  }),
  Schema.filter((argv): argv is NonEmptyReadonlyArray<string> => isNonEmptyReadonlyArray(argv), {
    message: () => "Expected at least one item: the program to run",
    jsonSchema: { minItems: 1 },
  }),
  Schema.filter(
    (argv) => {
      const total = argv.reduce((n, arg) => n + arg.length, 0);
      return total <= Limits.argvTotalLength
        ? undefined
        : `Expected at most ${Limits.argvTotalLength} characters in all, actual ${total}`;
    },
    { description: "the program and its arguments, exec'd without a shell" },
  ),
);

const CommandFields = Schema.Struct({
  argv: Schema.optionalWith(Argv, { exact: true }),
  shell: Schema.optionalWith(
    boundedString(1, Limits.shellLength).annotations({ description: "a script run by /bin/sh -c" }),
    { exact: true },
  ),
  env: Schema.optionalWith(Env, { exact: true, default: () => ({}) }),
  cwd: Schema.optionalWith(
    boundedString(1, Limits.pathLength).annotations({
      description: "working directory; the agent's own when absent",
    }),
    { exact: true },
  ),
}).annotations(objectExpected("a command object with argv or shell"));
type CommandFields = typeof CommandFields.Type;

export const CommandSpec = CommandFields.pipe(
  // JSON Schema drops annotations on a refinement of a transformation (the defaults make this
  // struct one), so "exactly one" is said in the description rather than as a oneOf.
  Schema.filter(exactlyOneOf("argv", "shell", "a command")),
  Schema.filter(
    (
      c,
    ): c is CommandFields &
      (
        | { readonly argv: NonEmptyReadonlyArray<string>; readonly shell?: never }
        | { readonly shell: string; readonly argv?: never }
      ) => (c.argv === undefined) !== (c.shell === undefined),
  ),
  Schema.annotations({
    identifier: "CommandSpec",
    description: "a process to run: exactly one of argv or shell",
  }),
);
export type CommandSpec = typeof CommandSpec.Type;

export const HandlerSpec = Schema.Struct({
  name: HandlerName,
  input: Schema.optionalWith(boundedJson(Limits.jsonLength), { exact: true, default: () => null }),
}).annotations({
  identifier: "HandlerSpec",
  description: "a function registered by an agent, called with a JSON input",
  ...objectExpected("a handler object { name, input }"),
});
export type HandlerSpec = typeof HandlerSpec.Type;
