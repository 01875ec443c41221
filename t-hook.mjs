import { createHook } from "node:async_hooks";
const stacks = new WeakMap();
let cur;
createHook({ init(id, type, trigger, resource) { if (type === "PROMISE") { stacks.set(resource, new Error().stack.split("\n").slice(3, 8).join("\n")); } } }).enable();
process.on("unhandledRejection", (e, p) => console.log("UNHANDLED-HOOK", e.message, "\n", stacks.get(p)));
const { open } = await import("lmdb");
const dir = "/tmp/lmdbexp/dbi-" + process.pid;
const root = open({ path: dir, maxDbs: 4 });
const db = root.openDB("x", {});
let i = 0, fails = 0;
for (; i < 3000; i++) {
  try { await root.transaction(() => { db.putSync("k" + i, "v".repeat(1000)); return 1; }); }
  catch (e) { fails++; e.commitError?.catch(() => {}); if (fails > 0) break; }
}
await new Promise((r) => setTimeout(r, 100));
