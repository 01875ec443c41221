#!/usr/bin/env node
// The `hodei` command: the compiled CLI in dist/ (`npm run build`; `npm ci` and `npm start` in
// a clone build it). A clone that was never built gets one line saying so, not a stack trace.
const main = new URL("../dist/cli/main.js", import.meta.url);
try {
  await import(main.href);
} catch (e) {
  if (e?.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes(main.pathname)) {
    process.stderr.write("hodei: dist/ is missing: run `npm run build` first\n");
    process.exit(2);
  }
  throw e;
}
