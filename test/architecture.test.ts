/**
 * Who may import whom, read from the sources with TypeScript's own import scanner: the agent and
 * the wire codec it shares with the supervisor stand apart from the supervisor, so an agent
 * process loads none of it (its store, scheduler, API or actors); the actors' behaviour stands
 * on the domain alone, so it stays pure and runs wherever the domain does; the generic actor
 * runtime knows its snapshot store only by its own port, and of the persistence layer only the
 * errors that port fails with. The API and the metrics use the core's narrow ports
 * (supervisor/ports.ts), not its store, actor system, scheduler or bus. Packages (xstate,
 * effect) are not the project's and may be imported anywhere.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

/** Every relative import of every .ts file under `dir`, as a path from the repository root. */
const importsOf = (dir: string): Array<{ file: string; target: string }> =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => {
      const file = join(dir, f);
      const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true);
      return importedFiles
        .filter((i) => i.fileName.startsWith("."))
        .map((i) => ({ file, target: relative(root, resolve(root, dirname(file), i.fileName)) }));
    });

/** Every line under `dir` that matches `pattern`, as "file:line: text". */
const linesMatching = (dir: string, pattern: RegExp): string[] =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) =>
      readFileSync(join(root, dir, f), "utf8")
        .split("\n")
        .flatMap((text, i) =>
          pattern.test(text) ? [`${join(dir, f)}:${i + 1}: ${text.trim()}`] : [],
        ),
    );

const outside = (dir: string, allowed: ReadonlyArray<string>) =>
  importsOf(dir).filter(({ target }) => !allowed.some((a) => target.startsWith(a)));

describe("architecture", () => {
  it("the agent imports only the domain, the protocol and itself", () => {
    expect(outside("src/agent", ["src/agent/", "src/domain/", "src/protocol/"])).toEqual([]);
  });

  it("the protocol imports only the domain and itself", () => {
    expect(outside("src/protocol", ["src/protocol/", "src/domain/"])).toEqual([]);
  });

  it("the domain imports nothing outside itself", () => {
    expect(outside("src/domain", ["src/domain/"])).toEqual([]);
  });

  it("the API and the metrics reach the core through its narrow ports, not its internals", () => {
    const internals = /\bcore\.(store|system|scheduler|bus)\b/;
    expect([
      ...linesMatching("src/api", internals),
      ...linesMatching("src/metrics", internals),
    ]).toEqual([]);
    // The same search finds what it is meant to (a check of nothing proves nothing).
    expect(linesMatching("src/api", /\bcore\.jobs\.explainSpec\(/)).not.toEqual([]);
  });

  it("the actors import only the domain and each other", () => {
    expect(outside("actors", ["actors/", "src/domain/"])).toEqual([]);
  });

  it("the runtime imports itself, the actors' machine helpers and the store's errors only", () => {
    expect(
      outside("src/runtime", [
        "src/runtime/",
        "actors/compilable.ts",
        "src/persistence/errors.ts",
        "src/persistence/quarantine.ts",
      ]),
    ).toEqual([]);
  });

  it("the scanner sees imports (a check that would pass on an empty list proves nothing)", () => {
    expect(importsOf("src/agent").some(({ target }) => target === "src/protocol/wire.ts")).toBe(
      true,
    );
    expect(importsOf("actors").some(({ target }) => target === "src/domain/job-state.ts")).toBe(
      true,
    );
    expect(
      importsOf("src/runtime").some(({ target }) => target === "src/runtime/snapshot-store.ts"),
    ).toBe(true);
  });
});
