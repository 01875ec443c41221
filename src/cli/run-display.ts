/**
 * How `hodei run` shows a run as it goes: on a terminal, the steps redrawn in place; in a log
 * or a pipe, one line per change; with `--json`, one JSON object per line. Each also says why
 * a step's job waits for a worker (once per reason), and which signals a waiting run takes.
 */
import type { JobView } from "./api-client.ts";
import { waitingLine } from "./job-view.ts";
import { jsonLine } from "./options.ts";
import type { PipelineRun } from "./pipeline-client.ts";
import { redraw, renderRun, runChanges } from "./progress.ts";

export interface Display {
  readonly update: (run: PipelineRun, now: number) => void;
  /** A step's job waits for a worker, for this reason (said once per reason). */
  readonly waiting: (step: string, job: JobView) => void;
}

export const signalsLine = (run: PipelineRun) =>
  run.signals !== undefined && run.signals.length > 0
    ? `waiting for a signal: ${run.signals.join(", ")} (hodei signal ${run.id} <signal>)`
    : undefined;

export const onTerminal = (out: NodeJS.WriteStream): Display => {
  let drawn = 0;
  let last: PipelineRun | undefined;
  const notes = new Map<string, string>();
  const draw = (run: PipelineRun, now: number) => {
    const signals = run.state === "running" ? signalsLine(run) : undefined;
    const lines = [
      ...renderRun(run, now),
      ...[...notes].map(([step, line]) => `  ${step}: ${line}`),
      ...(signals !== undefined ? [`  ${signals}`] : []),
    ];
    out.write(redraw(lines, drawn, out.columns || 80));
    drawn = lines.length;
  };
  return {
    update: (run, now) => {
      last = run;
      // A step that moved on no longer waits.
      for (const step of notes.keys())
        if (run.steps?.find((s) => s.name === step)?.state !== "running") notes.delete(step);
      draw(run, now);
    },
    waiting: (step, job) => {
      const line = waitingLine(job);
      if (line === undefined || last === undefined) return;
      notes.set(step, line);
      draw(last, Date.now());
    },
  };
};

export const asLines = (out: NodeJS.WritableStream): Display => {
  let last: PipelineRun | undefined;
  const said = new Map<string, string>();
  return {
    update: (run, now) => {
      for (const line of runChanges(last, run, now)) out.write(`${line}\n`);
      const signals = run.state === "running" ? signalsLine(run) : undefined;
      if (signals !== undefined && signals !== (last && signalsLine(last)))
        out.write(`${signals}\n`);
      last = run;
    },
    waiting: (step, job) => {
      const line = waitingLine(job);
      if (line === undefined || said.get(step) === job.waiting?.reason) return;
      said.set(step, job.waiting?.reason ?? "");
      out.write(`${step} ${line}\n`);
    },
  };
};

export const asJson = (): Display => {
  let seen = "";
  const said = new Map<string, string>();
  return {
    update: (run) => {
      const now = JSON.stringify(run);
      if (now !== seen) jsonLine("run", { run });
      seen = now;
    },
    waiting: (step, job) => {
      if (waitingLine(job) === undefined || said.get(step) === job.waiting?.reason) return;
      said.set(step, job.waiting?.reason ?? "");
      jsonLine("waiting", { step, jobId: job.id, ...job.waiting });
    },
  };
};
