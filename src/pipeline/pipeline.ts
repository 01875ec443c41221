/**
 * A Pipeline: what the supervisor registers and runs. Every pipeline is an XState machine that
 * runs its jobs through `runJob`; the DAG builder and the declarative form compile to one, and a
 * hand-written machine becomes one with `fromMachine`.
 *
 * Its `version` is a hash of the machine: its configuration with the source of every inline
 * function, and the source of the implementations given to `setup`. A run records the version
 * it started on; after a restart, a run whose pipeline now has another version is failed with
 * that reason instead of being resumed on a machine it was not written for.
 */
import { createHash } from "node:crypto";
import { Either, Schema } from "effect";
import type { AnyStateMachine } from "xstate";
import { Conflict, InvalidInput } from "../domain/errors.ts";
import { PipelineName } from "../domain/ids.ts";

/** A step of a DAG pipeline, as the run view lists it before it starts. */
export interface PlannedStep {
  readonly name: string;
  readonly needs: ReadonlyArray<string>;
}

export interface Pipeline {
  readonly kind: "hodei.pipeline";
  readonly name: string;
  readonly machine: AnyStateMachine;
  /** Changes whenever the machine does (see the header). */
  readonly version: string;
  /** The steps of a DAG pipeline; absent for a hand-written machine. */
  readonly plan?: ReadonlyArray<PlannedStep>;
  /** The declarative definition it was compiled from, when it was. */
  readonly source?: unknown;
}

const canonical = (value: unknown, seen = new WeakSet<object>()): unknown => {
  if (typeof value === "function") return `fn:${value.toString()}`;
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => canonical(v, seen));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    out[k] = canonical((value as Record<string, unknown>)[k], seen);
  }
  return out;
};

/** The hash of a machine's configuration and implementations (12 hex digits). */
export const machineVersion = (machine: AnyStateMachine): string =>
  createHash("sha256")
    .update(JSON.stringify(canonical({ config: machine.config, impl: machine.implementations })))
    .digest("hex")
    .slice(0, 12);

const checkName = (name: string): string => {
  if (!Schema.is(PipelineName)(name)) {
    throw new InvalidInput({
      message: `pipeline name "${name}": expected lowercase letters, digits, '_', '-', at most 64`,
      issues: [{ path: "name", message: "expected lowercase letters, digits, '_', '-'" }],
    });
  }
  return name;
};

/** A hand-written machine as a pipeline: it runs jobs by invoking `runJob`. */
export const fromMachine = (
  name: string,
  machine: AnyStateMachine,
  options: { readonly plan?: ReadonlyArray<PlannedStep>; readonly source?: unknown } = {},
): Pipeline => ({
  kind: "hodei.pipeline",
  name: checkName(name),
  machine,
  version: machineVersion(machine),
  ...(options.plan ? { plan: options.plan } : {}),
  ...(options.source !== undefined ? { source: options.source } : {}),
});

export const isPipeline = (u: unknown): u is Pipeline =>
  typeof u === "object" && u !== null && (u as { kind?: unknown }).kind === "hodei.pipeline";

/** The pipelines a supervisor knows, by name. */
export interface PipelineRegistry {
  /** The pipeline of this name: its current version, or the one asked for if still held. */
  readonly get: (name: string, version?: string) => Pipeline | undefined;
  readonly list: () => ReadonlyArray<Pipeline>;
  /** Adds or replaces a pipeline; fails if the name is taken by one from code. */
  /**
   * Adds a pipeline, or a new version of one (earlier versions stay, for the runs started on
   * them, until the process ends); fails if the name is taken by a pipeline from code.
   */
  readonly register: (pipeline: Pipeline) => Either.Either<Pipeline, Conflict>;
}

export const makePipelineRegistry = (initial: ReadonlyArray<Pipeline> = []): PipelineRegistry => {
  const byName = new Map<string, Pipeline>();
  const earlier = new Map<string, Pipeline>();
  const fromCode = new Set<string>();
  for (const p of initial) {
    if (byName.has(p.name)) {
      throw new InvalidInput({
        message: `two pipelines are named "${p.name}"`,
        issues: [{ path: "pipelines", message: `duplicate name "${p.name}"` }],
      });
    }
    byName.set(p.name, p);
    fromCode.add(p.name);
  }
  return {
    get: (name, version) => {
      const current = byName.get(name);
      if (version === undefined || current?.version === version) return current;
      return earlier.get(`${name}@${version}`);
    },
    list: () => [...byName.values()],
    register: (p) => {
      if (fromCode.has(p.name)) {
        return Either.left(
          new Conflict({
            message: `pipeline "${p.name}" is defined in code; it cannot be replaced through the API`,
          }),
        );
      }
      const previous = byName.get(p.name);
      if (previous !== undefined && previous.version !== p.version)
        earlier.set(`${previous.name}@${previous.version}`, previous);
      byName.set(p.name, p);
      return Either.right(p);
    },
  };
};
