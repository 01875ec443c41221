import { open } from "lmdb";
const dir = "/tmp/lmdbexp/dbj-" + process.pid;
const root = open({ path: dir, maxDbs: 4 });
const db = root.openDB("x", {});
process.on("unhandledRejection", (e, p) => {});
const withTimeout = (p, ms, label) => Promise.race([p.then(() => label + " ok", (e) => label + " err " + e.message), new Promise((r) => setTimeout(() => r(label + " TIMEOUT"), ms))]);
let i = 0;
for (; i < 3000; i++) {
  const r = await withTimeout(root.transaction(() => { db.put("k" + i, "v".repeat(1000)); }), 3000, "txn");
  if (r !== "txn ok") { console.log(i, r); break; }
  const f = await withTimeout(root.flushed, 3000, "flushed");
  if (f !== "flushed ok") { console.log(i, f); break; }
}
for (let t = 0; t < 3; t++) {
  console.log(await withTimeout(root.transaction(() => { db.put("s" + t, "v"); }), 3000, "small"), await withTimeout(root.flushed, 3000, "flushed"));
  console.log(await withTimeout(root.transaction(() => { db.put("b" + t, "v".repeat(20000)); }), 3000, "big"), await withTimeout(root.flushed, 3000, "flushed"));
}
process.exit(0);
