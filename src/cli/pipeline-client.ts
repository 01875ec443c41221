/**
 * The pipeline routes of the supervisor's HTTP API, for the CLI: pipelines (list, apply a
 * declarative definition) and runs (start, read, list, cancel, signal), plus the tail of a job's
 * log for a failed step. Types are the API's own (pipeline-schemas.ts, persistence/pipelines.ts).
 */
import type { PipelineSummary } from "../api/pipeline-schemas.ts";
import type { LogChunk } from "../persistence/logs.ts";
import type { PipelineRun } from "../persistence/pipelines.ts";
import { ApiClient } from "./api-client.ts";

export type { PipelineSummary } from "../api/pipeline-schemas.ts";
export type { PipelineRun, RunStep } from "../persistence/pipelines.ts";

export interface RunQuery {
  readonly pipeline?: string;
  readonly state?: string;
  readonly limit?: string;
  readonly cursor?: string;
}

const path = (...parts: string[]) => parts.map(encodeURIComponent).join("/");

export class PipelineClient extends ApiClient {
  pipelines = async (): Promise<ReadonlyArray<PipelineSummary>> =>
    (await this.call<{ pipelines: PipelineSummary[] }>("GET", "/pipelines")).data.pipelines;

  /** Registers (or replaces) a declarative definition; 400 with the issues if it is invalid. */
  applyPipeline = async (definition: unknown): Promise<PipelineSummary> =>
    (await this.call<PipelineSummary>("POST", "/pipelines", definition)).data;

  startRun = async (pipeline: string, input: unknown): Promise<PipelineRun> =>
    (
      await this.call<PipelineRun>(
        "POST",
        `/pipelines/${path(pipeline)}/runs`,
        input === undefined ? {} : { input },
      )
    ).data;

  run = async (id: string): Promise<PipelineRun> =>
    (await this.call<PipelineRun>("GET", `/runs/${path(id)}`)).data;

  runs = async (q: RunQuery): Promise<{ runs: PipelineRun[]; next: string | null }> => {
    const params = new URLSearchParams(
      Object.entries(q).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    return (await this.call<{ runs: PipelineRun[]; next: string | null }>("GET", `/runs?${params}`))
      .data;
  };

  cancelRun = async (id: string): Promise<PipelineRun> =>
    (await this.call<PipelineRun>("POST", `/runs/${path(id)}/cancel`)).data;

  signalRun = async (id: string, event: { type: string }): Promise<PipelineRun> =>
    (await this.call<PipelineRun>("POST", `/runs/${path(id)}/signal`, event)).data;

  /**
   * The last `n` lines of a job's log. The API reads forward from a seq only, so this pages
   * through the log (bounded by the per-job cap) keeping the last `n` chunks.
   */
  logTail = async (jobId: string, n: number): Promise<ReadonlyArray<LogChunk>> =>
    (
      await this.call<{ chunks: LogChunk[] }>(
        "GET",
        `/jobs/${path(jobId)}/logs?tail=${Math.max(1, Math.min(n, 10_000))}`,
      )
    ).data.chunks;
}
