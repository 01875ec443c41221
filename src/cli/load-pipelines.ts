/**
 * `hodei serve --pipelines <module>`: the pipelines defined in code, found in a module's exports.
 *
 * The module is a path (relative to the working directory) to a TypeScript or JavaScript file.
 * A TypeScript one is imported through tsx's `tsImport`, scoped to that import (the CLI itself
 * is compiled JavaScript and loads no TypeScript hook otherwise): it works in a folder whose
 * package.json says `"type": "module"` and in one that does not (tsx compiles the file as
 * CommonJS there, and `require("hodei")` of the compiled ESM package works on Node ≥ 20.19). Every export that `isPipeline`
 * accepts is registered: named exports, a default export, and the members of an exported array
 * or plain object of pipelines. The same pipeline exported twice counts once; two different
 * pipelines with one name, a module exporting none, or one that fails to import, is a
 * PipelineModuleError whose message says which and why (`hodei serve` exits 2 with it).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isPipeline, type Pipeline } from "../pipeline/pipeline.ts";

export class PipelineModuleError extends Error {
  override readonly name = "PipelineModuleError";
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The pipelines in one exported value: itself, or the members of an array or plain object. */
const pipelinesIn = (value: unknown): ReadonlyArray<Pipeline> => {
  if (isPipeline(value)) return [value];
  if (Array.isArray(value)) return value.filter(isPipeline);
  if (typeof value === "object" && value !== null) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Object.prototype || proto === null) {
      return Object.values(value).filter(isPipeline);
    }
  }
  return [];
};

/** The pipelines a module's namespace exports, deduplicated; throws if names clash. */
export const collectPipelines = (
  exports: Readonly<Record<string, unknown>>,
  where = "the module",
): ReadonlyArray<Pipeline> => {
  const found = new Set<Pipeline>();
  for (const value of Object.values(exports)) for (const p of pipelinesIn(value)) found.add(p);
  const byName = new Map<string, Pipeline>();
  for (const p of found) {
    let name: string;
    try {
      // A DAG builder compiles its machine when `version` is first read: a bad one throws here.
      name = p.name;
      void p.version;
    } catch (e) {
      throw new PipelineModuleError(`${where}: a pipeline is invalid: ${describe(e)}`);
    }
    if (byName.has(name)) {
      throw new PipelineModuleError(`${where}: two different pipelines are named "${name}"`);
    }
    byName.set(name, p);
  }
  return [...byName.values()];
};

const typeScript = /\.[cm]?tsx?$/;

/** A module's namespace; TypeScript through tsx, loaded only when a .ts module asks for it. */
const importModule = async (file: string): Promise<unknown> => {
  const url = pathToFileURL(file).href;
  if (!typeScript.test(file)) return import(url);
  const { tsImport } = await import("tsx/esm/api");
  const loaded = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  // A CommonJS module comes back as { default: module.exports, ...its named exports }.
  return loaded;
};

/** Imports the module at `path` (relative to `cwd`) and returns the pipelines it exports. */
export const loadPipelines = async (
  path: string,
  cwd: string = process.cwd(),
): Promise<ReadonlyArray<Pipeline>> => {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new PipelineModuleError(`pipelines module ${path}: no such file`);
  let exports: Record<string, unknown>;
  try {
    exports = (await importModule(file)) as Record<string, unknown>;
  } catch (e) {
    throw new PipelineModuleError(`pipelines module ${path} failed to load: ${describe(e)}`);
  }
  const pipelines = collectPipelines(exports, `pipelines module ${path}`);
  if (pipelines.length === 0) {
    const names = Object.keys(exports);
    throw new PipelineModuleError(
      `pipelines module ${path} exports no pipeline` +
        ` (exports: ${names.length > 0 ? names.join(", ") : "none"}); export the values made` +
        " by pipeline() or fromMachine(), or an array or object of them",
    );
  }
  return pipelines;
};
