/**
 * A command job: one child process, in its own process group, from spawn to outcome.
 *
 * - Isolation: `detached: true` makes the child a process-group leader, so a signal to `-pid`
 *   reaches everything it started (a shell's pipeline, a build's workers). The environment is
 *   a minimal base (PATH, HOME, locale...) plus the job's `env`: the agent's own secrets (its
 *   token) never leak into jobs. The group is watched (`guard`, group-watchdog.ts) from spawn
 *   until it is gone, so that it dies with the agent if the agent is killed.
 * - Stopping: cancel and timeout both send SIGTERM to the group, then SIGKILL after the grace
 *   period. When the leader exits, whatever it left in its group is killed, and the outcome
 *   waits until the group is gone: a finished job leaves no process behind.
 * - Output: stdout and stderr are split into lines of bytes as they arrive (lines.ts) and
 *   handed to the log sink; the pipes are read until they close (or a few seconds after the
 *   exit, if some escaped process holds them), so the last lines, even one without a final
 *   newline, are always delivered before the outcome. Once the sink is `full` (the log cap),
 *   the pipes are still read as fast as the child writes, but only counted (`skim`): the
 *   child is never held up by output nobody keeps; `::hodei-output` lines still count.
 *
 * Outcome: cancelled / timed_out when the agent stopped it; succeeded on exit 0, with the
 * outputs it printed (outputs.ts); failed with the exit code otherwise (128 + n when killed by
 * signal n, as a shell reports it).
 */
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import { resolve } from "node:path";
import type { CommandSpec } from "../domain/work.ts";
import type { Outcome } from "../domain/outcome.ts";
import { LineSplitter } from "./lines.ts";
import { OutputCollector } from "./outputs.ts";

export interface RunningJob {
  /** Resolves once the job is over and all its output has been passed to `log`. */
  readonly outcome: Promise<Outcome>;
  /** SIGTERM (or abort), then SIGKILL after `graceMs`. */
  readonly cancel: (graceMs: number) => void;
  /** Backpressure from the log shipper: stop or restart reading the child's output. */
  readonly pause: () => void;
  readonly resume: () => void;
}

export interface CommandJobOptions {
  readonly spec: CommandSpec;
  readonly env: Readonly<Record<string, string>>;
  readonly workDir: string;
  readonly timeoutMs: number | undefined;
  readonly timeoutGraceMs: number;
  readonly log: OutputSink;
  /** Kills the job's group if the agent dies first (group-watchdog.ts). */
  readonly guard?: GroupGuard;
}

/** Where a job's output goes: the attempt's LogShipper. */
export interface OutputSink {
  readonly push: (stream: "stdout" | "stderr", line: Buffer | string) => void;
  /** Past the log cap: output is only counted from now on. */
  readonly full: () => boolean;
  /** Output the job counted instead of pushing it. */
  readonly dropped: (bytes: number, lines: number) => void;
}

const outputPrefix = Buffer.from("::hodei-output ");

export interface GroupGuard {
  readonly watch: (pgid: number) => void;
  readonly release: (pgid: number) => void;
}

/** How long to wait for the pipes after the exit before giving up on escaped holders. */
const pipeDrainMs = 3000;

/** Delivers `signal` to the group; false when the group no longer exists (ESRCH). */
const signalGroup = (pid: number, signal: NodeJS.Signals | 0): boolean => {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
};

/**
 * Killed processes linger until the kernel has torn them down and their parent (init, for the
 * orphans) has reaped them. The job is over when its group is gone, so wait for that, briefly.
 */
const groupGone = async (pid: number, withinMs = 5000): Promise<void> => {
  const deadline = Date.now() + withinMs;
  while (signalGroup(pid, 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const runCommand = (o: CommandJobOptions): RunningJob => {
  let stopping: "cancelled" | "timed_out" | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let killAt = Infinity;
  let exited = false;
  let pid: number | undefined;
  let streams: { pause(): void; resume(): void }[] = [];

  const stop = (why: "cancelled" | "timed_out", graceMs: number): void => {
    if (exited) return;
    stopping ??= why;
    if (pid === undefined) return; // not spawned yet: start() checks `stopping`
    signalGroup(pid, "SIGTERM");
    if (Date.now() + graceMs < killAt) {
      killAt = Date.now() + graceMs;
      clearTimeout(killTimer);
      const target = pid;
      killTimer = setTimeout(() => signalGroup(target, "SIGKILL"), graceMs);
    }
  };

  const start = async (): Promise<Outcome> => {
    const cwd = o.spec.cwd === undefined ? o.workDir : resolve(o.workDir, o.spec.cwd);
    const dir = await stat(cwd).catch(() => undefined);
    if (dir?.isDirectory() !== true) {
      return { kind: "failed", error: `working directory ${cwd} does not exist` };
    }
    if (stopping !== undefined) return { kind: stopping };
    const [file, args] =
      o.spec.shell !== undefined
        ? ["/bin/sh", ["-c", o.spec.shell]]
        : [o.spec.argv[0], o.spec.argv.slice(1)];
    const child = spawn(file, args, {
      cwd,
      env: { ...o.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    pid = child.pid;
    if (pid !== undefined) o.guard?.watch(pid);
    streams = [child.stdout, child.stderr];
    const outputs = new OutputCollector();
    const output = (line: Buffer) => {
      const dropped = outputs.see(line.toString("utf8"));
      if (dropped !== undefined) o.log.push("stderr", dropped);
    };
    const out = new LineSplitter((line) => {
      o.log.push("stdout", line);
      if (line.subarray(0, outputPrefix.length).equals(outputPrefix)) output(line);
    });
    const err = new LineSplitter((line) => o.log.push("stderr", line));
    const ignore = () => {};
    child.stdout.on("data", (chunk: Buffer) =>
      o.log.full() ? out.skim(chunk, outputPrefix, output) : out.push(chunk),
    );
    child.stderr.on("data", (chunk: Buffer) =>
      o.log.full() ? err.skim(chunk, outputPrefix, ignore) : err.push(chunk),
    );
    const timeout =
      o.timeoutMs === undefined
        ? undefined
        : setTimeout(() => stop("timed_out", o.timeoutGraceMs), o.timeoutMs);
    if (stopping !== undefined && pid !== undefined) stop(stopping, 0);

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>(
      (done) => {
        child.once("error", (e) => done(e));
        child.once("exit", (code, signal) => done({ code, signal }));
      },
    );
    exited = true;
    clearTimeout(timeout);
    clearTimeout(killTimer);
    if (exit instanceof Error) {
      if (pid !== undefined) o.guard?.release(pid);
      child.stdout.destroy();
      child.stderr.destroy();
      return { kind: "failed", error: `cannot start ${file}: ${exit.message}` };
    }
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
    await new Promise<void>((closed) => {
      if (child.stdout.closed && child.stderr.closed) return closed();
      const giveUp = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        closed();
      }, pipeDrainMs);
      child.once("close", () => {
        clearTimeout(giveUp);
        closed();
      });
    });
    out.end(outputPrefix, output);
    err.end();
    const skimmed = [out, err].reduce(
      (n, s) => ({ bytes: n.bytes + s.skimmedBytes, lines: n.lines + s.skimmedLines }),
      { bytes: 0, lines: 0 },
    );
    if (skimmed.lines > 0 || skimmed.bytes > 0) o.log.dropped(skimmed.bytes, skimmed.lines);
    if (pid !== undefined) {
      await groupGone(pid);
      o.guard?.release(pid);
    }

    if (stopping !== undefined) return { kind: stopping };
    if (exit.code === 0) {
      const output = outputs.result();
      return { kind: "succeeded", exitCode: 0, ...(output !== undefined ? { output } : {}) };
    }
    if (exit.code !== null) {
      return { kind: "failed", exitCode: exit.code, error: `exited with code ${exit.code}` };
    }
    const signal = exit.signal ?? "SIGKILL";
    return {
      kind: "failed",
      exitCode: 128 + (constants.signals[signal] ?? 9),
      error: `killed by ${signal}`,
    };
  };

  return {
    outcome: start().catch((e: unknown) => ({
      kind: "failed" as const,
      error: `cannot run the command: ${e instanceof Error ? e.message : String(e)}`,
    })),
    cancel: (graceMs) => stop("cancelled", graceMs),
    pause: () => streams.forEach((s) => s.pause()),
    resume: () => streams.forEach((s) => s.resume()),
  };
};
