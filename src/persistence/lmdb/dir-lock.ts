/**
 * One supervisor per data directory: an exclusive `flock(2)` on `supervisor.lock`, held for the
 * store's life.
 *
 * Why flock: the kernel releases it when the process ends, however it ends (SIGKILL, a crash,
 * the OOM killer), so there is never a stale lock to detect or break, and taking it is atomic,
 * so two supervisors starting at once cannot both win (which a pid file with a liveness check
 * cannot promise). Node has no flock of its own, so the lock is taken by util-linux's
 * `flock(1)` (present on every Linux) on a descriptor this process opened and hands to it: a
 * flock belongs to the open file description, which the child shares, so the lock stays with
 * this process's descriptor after the child exits, and goes when this process closes it or
 * dies. (Node opens files close-on-exec: jobs and agents started later do not inherit it.)
 *
 * The file also says who holds it — `{ pid, host, since }`, written once the lock is taken — so
 * a second supervisor can name the holder. What the file says is only trusted while it is
 * locked: a dead holder's record is overwritten by the next one to take the lock.
 */
import { spawnSync } from "node:child_process";
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { Schema } from "effect";

export const lockFileName = "supervisor.lock";

/** Who holds a store: named to the operator of a supervisor that could not take it. */
export const StoreHolder = Schema.Struct({
  pid: Schema.Number,
  host: Schema.String,
  /** When it took the lock, ISO 8601. */
  since: Schema.String,
});
export type StoreHolder = typeof StoreHolder.Type;

/** The lock is held by another process; `holder` when its record could be read. */
export class DirectoryLocked {
  constructor(readonly holder: StoreHolder | undefined) {}
}

const busy = 75; // flock's exit code when the lock is taken (EX_TEMPFAIL)

const readHolder = (path: string): StoreHolder | undefined => {
  try {
    return Schema.decodeUnknownSync(Schema.parseJson(StoreHolder))(readFileSync(path, "utf8"));
  } catch {
    return undefined; // not written yet (the holder is starting), or unreadable
  }
};

export const describeHolder = (h: StoreHolder | undefined): string =>
  h === undefined
    ? "another process (it has not recorded who it is yet)"
    : `pid ${h.pid} on ${h.host} since ${h.since}`;

/**
 * Takes the directory's lock, or throws `DirectoryLocked`; an Error when it cannot be tried.
 * Returns what releases it (closing the descriptor).
 */
export const lockDirectory = (dir: string): (() => void) => {
  const path = join(dir, lockFileName);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  let locked = false;
  try {
    const r = spawnSync("flock", ["--exclusive", "--nonblock", "--conflict-exit-code", "75", "3"], {
      stdio: ["ignore", "ignore", "pipe", fd],
    });
    if (r.error !== undefined) {
      throw new Error(
        `cannot lock ${path}: flock(1) from util-linux is needed (${r.error.message})`,
      );
    }
    if (r.status === busy) throw new DirectoryLocked(readHolder(path));
    if (r.status !== 0) {
      throw new Error(`cannot lock ${path}: flock exited ${r.status}: ${String(r.stderr).trim()}`);
    }
    locked = true;
    const me: StoreHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(me)}\n`, 0);
    return () => closeSync(fd);
  } finally {
    if (!locked) closeSync(fd);
  }
};
