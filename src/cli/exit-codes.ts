/**
 * The `hodei` command's exit codes, one meaning each, the same for every subcommand (as `gh`
 * and Nomad's CLI keep theirs): what a script can test without reading the message. The table
 * is printed by `hodei --help` and copied in the README.
 */
import { ApiError } from "./api-client.ts";

export const exitCodes = {
  ok: 0,
  /** The job or run it followed did not succeed (failed, timed out or cancelled). */
  failed: 1,
  /** A bad flag, argument, file or configuration: nothing was asked of the supervisor. */
  usage: 2,
  notFound: 3,
  unreachable: 4,
  /** The supervisor answered no: a conflict, no permission, unplaceable, or an error of its own. */
  refused: 5,
  interrupted: 130,
} as const;

export const exitCodeTable: ReadonlyArray<readonly [code: number, meaning: string]> = [
  [exitCodes.ok, "success"],
  [exitCodes.failed, "the job or run failed, timed out or was cancelled"],
  [exitCodes.usage, "a bad flag, argument, spec file or configuration (nothing was changed)"],
  [exitCodes.notFound, "no such job, run, worker or pipeline"],
  [exitCodes.unreachable, "cannot reach the supervisor, or it is shutting down"],
  [exitCodes.refused, "the supervisor refused: a conflict, not allowed, unplaceable, its error"],
  [exitCodes.interrupted, "interrupted (Ctrl-C); a followed job or run goes on"],
];

/** The exit code of a request the supervisor did not grant. */
export const exitCodeOf = (e: ApiError): number => {
  if (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504)
    return exitCodes.unreachable;
  if (e.status === 400 || e.status === 413) return exitCodes.usage;
  if (e.status === 404) return exitCodes.notFound;
  return exitCodes.refused;
};

/** For `--help`: the table as aligned text. */
export const exitCodeHelp = (): string =>
  [
    "Exit codes:",
    ...exitCodeTable.map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`),
  ].join("\n");
