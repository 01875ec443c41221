/**
 * A small typed client of the supervisor's HTTP API, for the CLI. Errors come back as the
 * API's `{ error: { code, message, details } }` and are thrown as ApiError with that message
 * (and, for a 400, the issues in `details`). The pipeline routes are in pipeline-client.ts.
 * Follows a job's log with the API's Server-Sent Events stream (`log` events, then `end`).
 * Without a token given, it finds one (token-discovery.ts); a 401 says how to give one.
 */
import type { Job } from "../domain/job.ts";
import type { LogChunk } from "../persistence/logs.ts";
import type { WorkerSummary } from "../api/schemas.ts";
import { discoverToken } from "./token-discovery.ts";

export type JobView = Job;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export class ApiClient {
  private readonly token: string | undefined;

  /** Without a token (undefined or empty), the one token-discovery.ts finds. */
  constructor(
    private readonly base: string,
    token?: string,
  ) {
    this.token = token === undefined || token === "" ? discoverToken(base) : token;
  }

  protected async call<A>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; data: A }> {
    const response = await fetch(`${this.base.replace(/\/$/, "")}/api/v1${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }).catch((cause: unknown) => {
      throw new ApiError(
        0,
        "unreachable",
        `cannot reach ${this.base}: ${String((cause as { cause?: unknown }).cause ?? cause)}`,
      );
    });
    const data = (await response.json().catch(() => ({}))) as A & {
      error?: { code: string; message: string; details?: unknown };
    };
    if (!response.ok) {
      throw new ApiError(
        response.status,
        data.error?.code ?? "error",
        response.status === 401 ? this.noToken() : (data.error?.message ?? response.statusText),
        data.error?.details ?? null,
      );
    }
    return { status: response.status, data };
  }

  private noToken(): string {
    return this.token === undefined
      ? `${this.base} asks for a token: set HODEI_API_TOKEN (or HODEI_DATA_DIR, for the supervisor's own data directory on this machine)`
      : `${this.base} refused the token (HODEI_API_TOKEN or the data directory's api-token): unknown, revoked or expired`;
  }

  async submit(spec: unknown): Promise<{ job: JobView; created: boolean }> {
    const r = await this.call<JobView>("POST", "/jobs", spec);
    return { job: r.data, created: r.status === 201 };
  }

  job = async (id: string): Promise<JobView> =>
    (await this.call<JobView>("GET", `/jobs/${encodeURIComponent(id)}`)).data;

  cancel = async (id: string): Promise<JobView> =>
    (await this.call<JobView>("POST", `/jobs/${encodeURIComponent(id)}/cancel`)).data;

  retry = async (id: string): Promise<JobView> =>
    (await this.call<{ job: JobView }>("POST", `/jobs/${encodeURIComponent(id)}/retry`)).data.job;

  jobs = async (q: Record<string, string>): Promise<{ jobs: JobView[]; next: string | null }> =>
    (
      await this.call<{ jobs: JobView[]; next: string | null }>(
        "GET",
        `/jobs?${new URLSearchParams(q)}`,
      )
    ).data;

  logs = async (id: string): Promise<LogChunk[]> => {
    const out: LogChunk[] = [];
    let fromSeq = 1;
    for (;;) {
      const page = (
        await this.call<{ chunks: LogChunk[]; nextSeq: number }>(
          "GET",
          `/jobs/${encodeURIComponent(id)}/logs?fromSeq=${fromSeq}`,
        )
      ).data;
      out.push(...page.chunks);
      if (page.chunks.length === 0) return out;
      fromSeq = page.nextSeq;
    }
  };

  workers = async (): Promise<WorkerSummary[]> =>
    (await this.call<{ workers: WorkerSummary[] }>("GET", "/workers")).data.workers;

  /** The job's log as it is written, until the job is final. */
  async *followLogs(id: string): AsyncGenerator<LogChunk> {
    const response = await fetch(
      `${this.base.replace(/\/$/, "")}/api/v1/jobs/${encodeURIComponent(id)}/logs/stream`,
      {
        headers: {
          accept: "text/event-stream",
          ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}),
        },
      },
    );
    if (!response.ok || response.body === null) {
      const data = (await response.json().catch(() => ({}))) as {
        error?: { code: string; message: string };
      };
      throw new ApiError(
        response.status,
        data.error?.code ?? "error",
        response.status === 401 ? this.noToken() : (data.error?.message ?? response.statusText),
      );
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const bytes of response.body) {
      buffer += decoder.decode(bytes as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (event === "log") yield JSON.parse(data) as LogChunk;
        if (event === "end") return;
      }
    }
  }
}
