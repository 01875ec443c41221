#!/usr/bin/env -S node --max-semi-space-size=64
// --max-semi-space-size=64: a young generation of up to 64 MiB a half, not 16. The supervisor
// allocates short-lived objects for every job; with the larger nursery fewer of them survive a
// scavenge into the old generation, and it spends ~15% less CPU per job (bench/hwp.ts's
// core-only run, measured A/B). Memory it may take: 3 × 48 MiB more at most, when busy.
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
