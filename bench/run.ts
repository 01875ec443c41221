/**
 * `npm run bench -- <name> [...]`: runs bench/<name>.ts. Each benchmark prints a readable
 * table and, as its last line, one JSON object with its figures.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "report.ts"].includes(f))
  .map((f) => f.slice(0, -3));

const names = process.argv.slice(2);
if (names.length === 0 || names.some((n) => !available.includes(n))) {
  console.error(`usage: npm run bench -- <${available.join("|")}>`);
  process.exit(2);
}
for (const name of names) {
  const mod = (await import(`./${name}.ts`)) as { run: () => Promise<void> };
  await mod.run();
}
