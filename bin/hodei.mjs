#!/usr/bin/env -S node --max-semi-space-size=16
// --max-semi-space-size=16: a young generation of 16 MiB a half (V8's own default on Node 20,
// pinned because it is a measured choice). A scavenge pauses the process while it copies what
// survives, and the longer between scavenges the more survives: with 64 MiB, pauses of 11-18 ms
// every ~0.6 s were most of the tail of delayed jobs' fire lag (p99 12-15 ms against 7-10 at 16,
// `npm run bench -- schedules`) and of submit-to-start (p99 9-11 ms against 6-7), and the whole
// loop ran no faster (4,749-5,158 handler jobs/s against 5,383-5,465, `npm run bench -- hwp`).
// The core alone, agents played in-process, may spend a little more CPU per job (131-162 µs
// against 141-151 in the same runs).
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
