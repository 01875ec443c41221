/**
 * How `hodei run` and `hodei runs get` show a pipeline run: pure functions from a run (and the
 * time now) to lines, so they are tested without a terminal.
 *
 * - `renderRun`: the whole picture, a header and one line per step (mark, name, state,
 *   duration, error), redrawn in place on a TTY with `redraw`;
 * - `runChanges`: what changed between two polls, as lines, for a log or a pipe (a step that
 *   appears waiting is not news; one that starts, ends or is skipped is).
 */
import type { PipelineRun, RunStep } from "../persistence/pipelines.ts";

const marks: Readonly<Record<RunStep["state"], string>> = {
  waiting: "·",
  running: "▸",
  succeeded: "✓",
  failed: "✗",
  skipped: "-",
  cancelled: "⊘",
};

/** 850ms, 4.2s, 42s, 3m07s, 1h05m. */
export const formatDuration = (ms: number): string => {
  const t = Math.max(0, Math.round(ms));
  if (t < 1000) return `${t}ms`;
  if (t < 10_000) return `${(Math.floor(t / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(t / 1000);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
};

/** How long the step ran (or has been running), if it started. */
export const stepDuration = (step: RunStep, now: number): number | undefined =>
  step.startedAt === undefined ? undefined : (step.finishedAt ?? now) - step.startedAt;

export const runDuration = (run: PipelineRun, now: number): number =>
  (run.state === "running" ? now : run.updatedAt) - run.createdAt;

const oneLine = (text: string, max = 120) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export const runHeader = (run: PipelineRun, now: number): string =>
  `run ${run.id}  ${run.pipeline}  ${run.state}  ${formatDuration(runDuration(run, now))}`;

/** The header, then a line per step: `  ✓ build   succeeded  1.2s`. */
export const renderRun = (run: PipelineRun, now: number): string[] => {
  const steps = run.steps ?? [];
  const width = Math.max(0, ...steps.map((s) => s.name.length));
  const lines = [runHeader(run, now)];
  for (const s of steps) {
    const d = stepDuration(s, now);
    const parts = [
      `  ${marks[s.state]} ${s.name.padEnd(width)}`,
      s.state.padEnd(9),
      ...(d !== undefined ? [formatDuration(d)] : []),
      ...(s.error !== undefined && s.state !== "succeeded" ? [oneLine(s.error)] : []),
    ];
    lines.push(parts.join("  ").trimEnd());
  }
  if (run.state !== "running" && run.reason !== undefined) lines.push(`  reason: ${run.reason}`);
  return lines;
};

/** The lines worth printing when the run moved from `before` (undefined: first look) to `after`. */
export const runChanges = (
  before: PipelineRun | undefined,
  after: PipelineRun,
  now: number,
): string[] => {
  const lines: string[] = [];
  if (before === undefined) lines.push(`run ${after.id} of ${after.pipeline} started`);
  const was = new Map((before?.steps ?? []).map((s) => [s.name, s.state] as const));
  for (const s of after.steps ?? []) {
    const previous = was.get(s.name);
    if (previous === s.state || (previous === undefined && s.state === "waiting")) continue;
    const d = s.state === "running" ? undefined : stepDuration(s, now);
    const error = s.error !== undefined && s.state !== "succeeded" ? `: ${oneLine(s.error)}` : "";
    lines.push(`${s.name} ${s.state}${d !== undefined ? ` in ${formatDuration(d)}` : ""}${error}`);
  }
  if (after.state !== "running" && before?.state !== after.state) {
    const reason = after.reason !== undefined ? `: ${oneLine(after.reason)}` : "";
    lines.push(
      `run ${after.id} ${after.state} in ${formatDuration(runDuration(after, now))}${reason}`,
    );
  }
  return lines;
};

/**
 * What to write to a terminal to replace the `previous` lines drawn last with `lines`: move up
 * over them, clear to the end of the screen, draw. Lines are cut to `columns` so none wraps
 * (a wrapped line would throw the count off).
 */
export const redraw = (lines: ReadonlyArray<string>, previous: number, columns: number): string => {
  const cut = lines.map((l) =>
    [...l].length > columns ? `${[...l].slice(0, columns - 1).join("")}…` : l,
  );
  return `${previous > 0 ? `\x1b[${previous}F\x1b[0J` : ""}${cut.join("\n")}\n`;
};
