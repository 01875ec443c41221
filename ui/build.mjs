// Compiles the web dashboard (ui/src, Preact) into dist/ui: index.html and hashed files under
// assets/, which the supervisor serves (src/api/ui/static-files.ts). Run by `npm run build`.
import { build } from "esbuild";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// Built beside dist/ui and swapped in at the end: a supervisor or a test serving dist/ui while
// `npm start` rebuilds never finds it missing or half written.
const target = join(root, "dist", "ui");
const out = join(root, "dist", "ui.next");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await build({
  entryPoints: [join(root, "ui", "src", "main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
});

const built = Object.keys(result.metafile.outputs).map((f) => basename(f));
const js = built.find((f) => f.endsWith(".js"));
const css = built.find((f) => f.endsWith(".css"));
if (js === undefined || css === undefined) throw new Error(`ui build: missing output in ${built}`);

writeFileSync(
  join(out, "index.html"),
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>Hodei</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/${css}" />
    <script type="module" src="/assets/${js}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The Hodei dashboard needs JavaScript.</noscript>
  </body>
</html>
`,
);

const old = join(root, "dist", "ui.old");
rmSync(old, { recursive: true, force: true });
if (existsSync(target)) renameSync(target, old);
renameSync(out, target);
rmSync(old, { recursive: true, force: true });
