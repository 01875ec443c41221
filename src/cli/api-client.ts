/**
 * A small typed client of the supervisor's HTTP API, for the CLI. Errors come back as the
 * API's `{ error: { code, message, details } }` and are thrown as ApiError with that message
 * (and, for a 400, the issues in `details`); no answer at all is an ApiError with status 0.
 * The pipeline routes are in pipeline-client.ts. Follows a job's log with the API's
 * Server-Sent Events stream (`log` events, then `end`).
 * Without a token given, it finds one (token-discovery.ts); a 401 says how to give one.
 */
import type { LogChunk } from "../persistence/logs.ts";
import type { JobDetail, WorkerSummary } from "../api/schemas.ts";
import type { QueueSettingsPatch } from "../domain/queue.ts";
import type { QueueView } from "../supervisor/queues.ts";
import { httpRequest, httpStream, type HttpAnswer } from "./http.ts";
import { discoverToken } from "./token-discovery.ts";

export type JobView = JobDetail;

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

/** JSON text as a value; anything else (an HTML error page, nothing) as an empty object. */
const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
};

/** An answer that is not a success, as the ApiError its `{ error }` body describes. */
const apiErrorOf = (answer: HttpAnswer): ApiError => {
  const { error } = parsed(answer.text) as {
    error?: { code?: string; message?: string; details?: unknown };
  };
  return new ApiError(
    answer.status,
    error?.code ?? "error",
    error?.message ?? (answer.statusText || `HTTP ${answer.status}`),
    error?.details ?? null,
  );
};

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
    const response = await httpRequest(
      method,
      `${this.base.replace(/\/$/, "")}/api/v1${path}`,
      {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body !== undefined ? JSON.stringify(body) : undefined,
    ).catch((cause: unknown) => {
      throw new ApiError(0, "unreachable", `cannot reach ${this.base}: ${String(cause)}`);
    });
    if (response.status < 200 || response.status >= 300) throw this.errorOf(response);
    return { status: response.status, data: parsed(response.text) as A };
  }

  /** An answer that is not a success; a 401 says where a token comes from. */
  private errorOf(answer: HttpAnswer): ApiError {
    const e = apiErrorOf(answer);
    return answer.status === 401 ? new ApiError(401, e.code, this.noToken(), e.details) : e;
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

  redrive = async (
    request: unknown,
  ): Promise<{
    redriven: Array<{ id: string; state: string; attempt: number }>;
    refused: Array<{ id: string; reason: string }>;
  }> => (await this.call<never>("POST", "/jobs/redrive", request)).data;

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

  /** A one-time link that hands this client's token to the web dashboard (`hodei ui`). */
  uiLink = async (): Promise<{ code: string; path: string; expiresAt: number }> =>
    (await this.call<{ code: string; path: string; expiresAt: number }>("POST", "/ui/links")).data;

  workers = async (): Promise<WorkerSummary[]> =>
    (await this.call<{ workers: WorkerSummary[] }>("GET", "/workers")).data.workers;

  worker = async (id: string): Promise<WorkerSummary> =>
    (await this.call<WorkerSummary>("GET", `/workers/${encodeURIComponent(id)}`)).data;

  drainWorker = async (id: string): Promise<WorkerSummary> =>
    (await this.call<WorkerSummary>("POST", `/workers/${encodeURIComponent(id)}/drain`)).data;

  pruneWorkers = async (): Promise<ReadonlyArray<string>> =>
    (await this.call<{ pruned: string[] }>("POST", "/workers/prune")).data.pruned;

  queues = async (): Promise<QueueView[]> =>
    (await this.call<{ queues: QueueView[] }>("GET", "/queues")).data.queues;

  queue = async (name: string): Promise<QueueView> =>
    (await this.call<QueueView>("GET", `/queues/${encodeURIComponent(name)}`)).data;

  setQueue = async (name: string, verb: "pause" | "resume"): Promise<QueueView> =>
    (await this.call<QueueView>("POST", `/queues/${encodeURIComponent(name)}/${verb}`)).data;

  updateQueue = async (name: string, patch: QueueSettingsPatch): Promise<QueueView> =>
    (await this.call<QueueView>("PUT", `/queues/${encodeURIComponent(name)}`, patch)).data;

  /** The job's log as it is written, until the job is final. */
  async *followLogs(id: string): AsyncGenerator<LogChunk> {
    const url = `${this.base.replace(/\/$/, "")}/api/v1/jobs/${encodeURIComponent(id)}/logs/stream`;
    const response = await httpStream(url, {
      accept: "text/event-stream",
      ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}),
    }).catch((cause: unknown) => {
      throw new ApiError(0, "unreachable", `cannot reach ${this.base}: ${String(cause)}`);
    });
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      let text = "";
      for await (const chunk of response) text += String(chunk);
      throw this.errorOf({ status, statusText: response.statusMessage ?? "", text });
    }
    const decoder = new TextDecoder();
    let buffer = "";
    // Closed when the caller stops early too: an open stream would keep the process alive.
    try {
      for await (const bytes of response) {
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
    } finally {
      response.destroy();
    }
  }
}
