/**
 * Where the installed `hodei` package is, and its version: found through the package's own
 * name (Node resolves a package's imports of itself through its `exports`), so the answer is
 * the same from the TypeScript sources, the compiled library in dist/src, the bundled CLI in
 * dist/cli, and a copy installed in another project's node_modules.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const load = createRequire(import.meta.url);
const manifestPath = load.resolve("hodei/package.json");

/** The package's root directory (where package.json, bin/ and proto/ are). */
export const packageRoot = dirname(manifestPath);

/** The package's version, as `hodei --version` prints it. */
export const version = (load(manifestPath) as { readonly version: string }).version;

/** The `hodei` command itself, for the processes a command starts (local agents). */
export const hodeiBin = join(packageRoot, "bin", "hodei.mjs");
