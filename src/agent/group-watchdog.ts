/**
 * Kills the agent's command jobs when the agent dies, however it dies.
 *
 * A command job runs in its own process group (command-job.ts), so that a cancel reaches
 * everything it started; the price is that nothing kills that group when the agent itself is
 * killed with SIGKILL, or crashes: the job would run on, orphaned, with nobody to read its
 * output or report it, while the supervisor places it again elsewhere.
 *
 * The watchdog: one small `/bin/sh` process per agent, started on the first command job in a
 * session of its own (`detached`, i.e. setsid: a signal to the agent's group or terminal does
 * not reach it) and ignoring SIGINT, SIGTERM and SIGHUP. The agent tells it, over a pipe on its
 * stdin, each job's group as it starts (`+pgid`) and once the group is gone (`-pgid`). When the
 * agent's end of the pipe closes — the kernel closes it whatever the agent's death — `read`
 * sees end of file and the watchdog SIGKILLs every group still listed, then exits. A normal
 * exit of the agent closes the pipe too, with nothing listed by then.
 *
 * Why this rather than a shim per job (a wrapper that holds the pipe and is the job's parent):
 * the job's process stays the agent's own child, so its exit code and the signal that killed
 * it are read exactly (a shell wrapper only sees `128 + n`), and a job costs a line on a pipe,
 * not two more processes. The one gap is the instant between `spawn` and the `+pgid` write (a
 * synchronous pipe write, microseconds). Linux and other POSIX systems, no native addon.
 *
 * If the watchdog itself is killed, the next job starts a new one, told every live group.
 */
import { spawn, type ChildProcess } from "node:child_process";

const script = `
trap '' INT TERM HUP
groups=' '
while read -r line; do
  case $line in
    +*) groups="$groups\${line#+} " ;;
    -*) p=\${line#-}
        case $groups in *" $p "*) groups="\${groups%% $p *} \${groups#* $p }" ;; esac ;;
  esac
done
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
`;

export class GroupWatchdog {
  private proc: ChildProcess | undefined;
  private readonly live = new Set<number>();

  constructor(private readonly shell = "/bin/sh") {}

  /** The group `pgid` dies with the agent from now on. */
  watch(pgid: number): void {
    this.live.add(pgid);
    if (this.proc === undefined) this.start();
    else this.send(`+${pgid}\n`);
  }

  /** The group is gone (or no longer the agent's to kill). */
  release(pgid: number): void {
    if (this.live.delete(pgid)) this.send(`-${pgid}\n`);
  }

  /** Ends the watchdog, killing what it still watches (as the agent's death would). */
  close(): void {
    this.proc?.stdin?.end();
    this.proc = undefined;
  }

  private start(): void {
    let proc: ChildProcess;
    try {
      // Nothing of the agent's environment (its token) and no hold on its working directory.
      proc = spawn(this.shell, ["-c", script], {
        detached: true,
        stdio: ["pipe", "ignore", "ignore"],
        cwd: "/",
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
      });
    } catch {
      return; // no shell: jobs still run, unguarded
    }
    this.proc = proc;
    proc.on("error", () => {
      if (this.proc === proc) this.proc = undefined;
    });
    proc.on("exit", () => {
      if (this.proc === proc) this.proc = undefined;
    });
    proc.stdin!.on("error", () => {});
    // Neither the process nor its pipe keeps an embedding program alive.
    proc.unref();
    (proc.stdin as unknown as { unref?: () => void }).unref?.();
    this.send([...this.live].map((g) => `+${g}\n`).join(""));
  }

  private send(lines: string): void {
    if (lines === "") return;
    if (this.proc === undefined) {
      if (this.live.size > 0) this.start();
      return;
    }
    this.proc.stdin?.write(lines);
  }
}
