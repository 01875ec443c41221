/**
 * Opening a data directory, refusing anything that is not a Hodei store of this format before a
 * byte is written to it:
 * - the path is a file, or a directory holding files other than Hodei's (`hodeiFiles`);
 * - another supervisor holds the directory (dir-lock.ts): refused with `held`, naming it;
 * - `data.mdb` is not an LMDB file (its first meta page lacks LMDB's magic number). This is
 *   checked by reading the header ourselves: LMDB trusts its file and a garbage one can crash
 *   the process instead of failing;
 * - an LMDB without our format marker (another application's), or of another format.
 * An empty or missing directory is a new store: it is created with the marker.
 */
import {
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  readdirSync,
  statSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { Effect } from "effect";
import { open, type RootDatabase } from "lmdb";
import { StoreUnusable } from "../errors.ts";
import { describeHolder, DirectoryLocked, lockDirectory, lockFileName } from "./dir-lock.ts";
import { formatMarker, openDatabases, type Databases } from "./layout.ts";

/**
 * What a Hodei data directory may hold: LMDB's data and lock files, the supervisor's lock
 * (dir-lock.ts) and the admin API token written at first start (src/api/auth/bootstrap.ts).
 * Anything else means the directory is not ours. Add a file here when the supervisor starts
 * keeping one in its data directory.
 */
export const hodeiFiles: ReadonlySet<string> = new Set([
  "data.mdb",
  "lock.mdb",
  lockFileName,
  "api-token",
]);
/** LMDB's MDB_MAGIC, little-endian, after the 24-byte page header of the first meta page. */
const magicOffset = 24;
const magic = 0xbeefc0de;

const hasLmdbMagic = (file: string): boolean => {
  const fd = openSync(file, "r");
  try {
    const header = Buffer.alloc(magicOffset + 4);
    const n = readSync(fd, header, 0, header.length, 0);
    return n === header.length && header.readUInt32LE(magicOffset) === magic;
  } finally {
    closeSync(fd);
  }
};

const list = (xs: ReadonlyArray<unknown>): string =>
  xs
    .slice(0, 5)
    .map((x) => JSON.stringify(x))
    .join(", ") + (xs.length > 5 ? ", ..." : "");

/** Throws the reason the directory is refused, or returns whether it holds a store already. */
const inspect = (dir: string): boolean => {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return false;
  }
  if (!statSync(dir).isDirectory()) throw "it is a file, not a directory";
  const foreign = readdirSync(dir).filter((f) => !hodeiFiles.has(f));
  if (foreign.length > 0) {
    throw `it holds files that are not Hodei's (${list(foreign)}): not a Hodei data directory`;
  }
  const data = join(dir, "data.mdb");
  if (!existsSync(data)) return false;
  if (!hasLmdbMagic(data)) throw "data.mdb is not an LMDB file (corrupt, or another program's)";
  return true;
};

const checkMarker = (root: RootDatabase): void => {
  const names = [...root.getKeys({ snapshot: false })];
  if (names.length === 0) return;
  if (!names.includes("meta")) {
    throw `it is an LMDB of another application: no Hodei format marker (it holds ${list(names)})`;
  }
  const marker = root.openDB<unknown, string>("meta", {}).get("format") as
    { app?: unknown; format?: unknown } | undefined;
  if (marker?.app !== formatMarker.app) {
    throw `it is an LMDB of another application: its format marker is ${JSON.stringify(marker)}`;
  }
  if (marker.format !== formatMarker.format) {
    throw `it is a Hodei store of format ${String(marker.format)}; this build reads format ${formatMarker.format}`;
  }
};

export interface OpenedLmdb {
  readonly root: RootDatabase;
  readonly dbs: Databases;
  /** Releases the directory's lock: after the environment is closed. */
  readonly unlock: () => void;
}

export const openLmdbEnvironment = (path: string): Effect.Effect<OpenedLmdb, StoreUnusable> =>
  Effect.try({
    try: () => {
      const dir = resolve(path);
      const existed = inspect(dir);
      const unlock = lockDirectory(dir);
      let root: RootDatabase | undefined;
      try {
        // A directory always: lmdb-js takes a path with an extension (`store.v1`, mktemp's
        // `tmp.XXXX`) for a file unless told.
        root = open({ path: dir, noSubdir: false, maxDbs: 24 });
        if (existed) checkMarker(root);
        const dbs = openDatabases(root);
        if (dbs.meta.get("format") === undefined) dbs.meta.putSync("format", formatMarker);
        return { root, dbs, unlock };
      } catch (e) {
        void root?.close();
        unlock();
        throw e;
      }
    },
    catch: (e) =>
      e instanceof DirectoryLocked
        ? new StoreUnusable({
            location: resolve(path),
            reason: `it is in use by another supervisor: ${describeHolder(e.holder)}`,
            held: true,
          })
        : new StoreUnusable({
            location: resolve(path),
            reason: typeof e === "string" ? e : e instanceof Error ? e.message : String(e),
          }),
  });
