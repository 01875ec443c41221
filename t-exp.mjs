import { open } from "lmdb";
const dir = "/tmp/lmdbexp/dbh-" + process.pid;
const root = open({ path: dir, maxDbs: 4 });
const db = root.openDB("x", {});
process.on("unhandledRejection", (e, p) => console.log("UNHANDLED", e.message, Object.keys(p), p === globalThis.__last));
const mode = process.argv[2];
let i = 0, fails = 0;
for (; i < 3000; i++) {
  try {
    const t = globalThis.__last = root.transaction(() => { const r = mode === "sync" ? db.putSync("k" + i, "v".repeat(1000)) : db.put("k" + i, "v".repeat(1000)); if (r && r.then) r.tag = "put"; return 1; });
    await t;
    if (mode === "flushed") { const f = root.flushed; f.tag = "flushed"; await f; }
  }
  catch (e) { fails++; if (e.commitError) { e.commitError.catch((x) => console.log("commitError", x.message)) } console.log("failed at", i, e.message); if (fails > 1) break; }
}
