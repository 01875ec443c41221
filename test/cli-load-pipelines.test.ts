/**
 * `hodei serve --pipelines <module>`: which exports of a module are registered, and the clear
 * errors for a module that exports none, fails to import, is missing, or names two pipelines
 * alike. The modules are written to a temp dir; the .ts ones re-export the CLI test's fixture
 * (test/fixtures/pipelines/two-step.ts) by absolute path, so they resolve xstate from the repo.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { collectPipelines, loadPipelines, PipelineModuleError } from "../src/cli/load-pipelines.ts";

const dir = mkdtempSync(join(tmpdir(), "hodei-pipelines-module-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const url = (path: string) => JSON.stringify(pathToFileURL(resolve(path)).href);
const fixture = url("test/fixtures/pipelines/two-step.ts");
const dag = url("src/pipeline/dag.ts");

let n = 0;
const write = (ext: string, text: string): string => {
  const file = join(dir, `m${++n}.${ext}`);
  writeFileSync(file, text);
  return file;
};

const fake = (name: string) => `{ kind: "hodei.pipeline", name: "${name}", version: "v-${name}" }`;

const names = async (file: string) => (await loadPipelines(file)).map((p) => p.name).sort();

describe("loading the pipelines a module exports", () => {
  it("registers named exports and an exported array once each, ignoring other exports", async () => {
    const file = write(
      "ts",
      `export { twoStep, failsSecond, all, description } from ${fixture};\n` +
        `export const count: number = 3;\n`,
    );
    expect(await names(file)).toEqual(["approval", "fails-second", "two-step"]);
  });

  it("takes a default export that is a pipeline, or an object of them (.mjs)", async () => {
    const one = write("mjs", `export default ${fake("solo")};\n`);
    expect(await names(one)).toEqual(["solo"]);
    const object = write(
      "mjs",
      `export default { a: ${fake("a")}, b: ${fake("b")}, other: 1 };\nexport const c = [${fake("c")}, "x"];\n`,
    );
    expect(await names(object)).toEqual(["a", "b", "c"]);
  });

  it("resolves a path relative to the given working directory", async () => {
    const file = write("mjs", `export const p = ${fake("relative")};\n`);
    const loaded = await loadPipelines(file.slice(dir.length + 1), dir);
    expect(loaded.map((p) => p.name)).toEqual(["relative"]);
  });

  it("refuses a module that exports no pipeline, naming what it exports", async () => {
    const file = write("ts", `export const x = 1;\nexport default "not a pipeline";\n`);
    const error = await loadPipelines(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineModuleError);
    expect((error as Error).message).toMatch(
      /exports no pipeline \(exports: (default, x|x, default)\)/,
    );
  });

  it("refuses a module that throws when imported, with its error", async () => {
    const file = write("ts", `throw new Error("boom while loading");\nexport const p = 1;\n`);
    await expect(loadPipelines(file)).rejects.toThrow(/failed to load: boom while loading/);
  });

  it("refuses a missing module, and one that does not parse", async () => {
    await expect(loadPipelines(join(dir, "nope.ts"))).rejects.toThrow(/no such file/);
    const file = write("mjs", `export const = ;\n`);
    await expect(loadPipelines(file)).rejects.toThrow(/failed to load/);
  });

  it("refuses two different pipelines with one name", async () => {
    const file = write(
      "mjs",
      `export const a = ${fake("same")};\nexport const b = ${fake("same")};\n`,
    );
    await expect(loadPipelines(file)).rejects.toThrow(/two different pipelines are named "same"/);
  });

  it("refuses an invalid DAG pipeline when it is loaded, not when a run starts", async () => {
    const file = write(
      "ts",
      `import { pipeline } from ${dag};\nexport const empty = pipeline("empty");\n`,
    );
    await expect(loadPipelines(file)).rejects.toThrow(/a pipeline is invalid: .*step/);
  });
});

describe("collectPipelines", () => {
  it("counts the same pipeline exported twice once", () => {
    const p = { kind: "hodei.pipeline", name: "p", version: "1" };
    expect(collectPipelines({ p, default: p, all: [p], byName: { p } })).toHaveLength(1);
  });
});
