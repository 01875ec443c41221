/**
 * A real API server on an ephemeral port over a real core (memory store, memory bus), with a
 * scripted agent standing in for HWP: it records assignments and reports what the test tells
 * it to. Used by the api-* and metrics-* tests.
 *
 * Auth is on, as in production: the server takes `adminToken` (an admin token from its
 * configuration) unless the test gives its own `auth`, and `fetch`/`json` send the test's
 * token (`tokenOf` makes stored tokens of any role).
 */
import { Effect, Exit, Scope } from "effect";
import { makeMemoryBus } from "../src/bus/index.ts";
import { serveHttp, type HttpServing } from "../src/api/server.ts";
import type { ApiAuth, ApiOptions } from "../src/api/options.ts";
import type { Role } from "../src/domain/access.ts";
import type { Telemetry } from "../src/domain/worker.ts";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import type { Store } from "../src/persistence/index.ts";
import type { Pipeline } from "../src/pipeline/pipeline.ts";
import type { CoreConfig } from "../src/supervisor/config.ts";
import { makeSupervisorCore, type SupervisorCore } from "../src/supervisor/core.ts";
import type { Assignment, Outcome } from "../src/supervisor/gateway.ts";

/** The admin token the harness's server is configured with, unless a test says otherwise. */
export const adminToken = "harness-admin-token";

export const capacity = { cpuMillis: 4_000, memoryMb: 8_192, gpus: 0, maxJobs: 4 };

export const command = (name: string, extra: object = {}) => ({
  name,
  command: { argv: ["true"] },
  ...extra,
});

export interface Harness {
  readonly url: string;
  readonly serving: HttpServing;
  readonly core: SupervisorCore;
  readonly store: Store;
  readonly assigned: Array<readonly [workerId: string, assignment: Assignment]>;
  readonly cancelled: string[];
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>;
  readonly register: (
    name: string,
    extra?: { labels?: Record<string, string>; handlers?: ReadonlyArray<string> },
  ) => Promise<string>;
  /** Waits until the job is assigned and returns the worker and attempt. */
  readonly assignment: (jobId: string) => Promise<{ workerId: string; attempt: number }>;
  readonly start: (jobId: string) => Promise<void>;
  readonly finish: (jobId: string, outcome?: Outcome) => Promise<void>;
  readonly log: (jobId: string, lines: ReadonlyArray<string>) => Promise<void>;
  readonly heartbeat: (workerId: string, telemetry?: Partial<Telemetry>) => Promise<void>;
  /**
   * Heartbeats every 50 ms until the returned function is called, as a live agent does: a test
   * with a short heartbeat timeout keeps its worker from being lost however slow the machine.
   */
  readonly keepAlive: (workerId: string, telemetry?: Partial<Telemetry>) => () => void;
  /** The token `fetch` and `json` send (undefined without auth). */
  readonly token: string | undefined;
  /** A new stored token of `role`, as `hodei tokens create` makes one. */
  readonly tokenOf: (role: Role) => Promise<string>;
  readonly fetch: (path: string, init?: RequestInit) => Promise<Response>;
  readonly json: (path: string, init?: RequestInit) => Promise<{ status: number; body: any }>;
  readonly close: () => Promise<void>;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export const eventually = async <A>(
  check: () => A | undefined | Promise<A | undefined>,
  what = "condition",
  timeoutMs = 5_000,
): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const startApi = async (
  options: Omit<ApiOptions, "auth"> & {
    readonly auth?: ApiAuth;
    readonly config?: Partial<CoreConfig>;
    readonly pipelines?: ReadonlyArray<Pipeline>;
    readonly store?: Store;
  } = {},
): Promise<Harness> => {
  const scope = Effect.runSync(Scope.make());
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
  const inScope = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
    Effect.runPromise(Scope.extend(effect, scope));
  const store = options.store ?? makeMemoryStore();
  const bus = await inScope(makeMemoryBus);
  const core = await inScope(
    makeSupervisorCore({
      store,
      bus,
      config: options.config ?? {},
      pipelines: options.pipelines ?? [],
    }),
  );
  const assigned: Array<readonly [string, Assignment]> = [];
  const cancelled: string[] = [];
  core.attachGateway({
    assign: (workerId, a) => (assigned.push([workerId, a]), true),
    cancel: (_w, c) => (cancelled.push(c.jobId), true),
    drain: () => true,
  });
  const auth = options.auth ?? { token: adminToken };
  const serving = await inScope(
    serveHttp({ ...options, auth, core, port: 0, closeGraceMs: 1_000 }),
  );
  const url = serving.url;
  const token = "token" in auth ? auth.token : undefined;

  const idleTelemetry = () => ({
    cpuPercent: 1,
    memoryUsedMb: 100,
    memoryTotalMb: capacity.memoryMb,
    load1: 0,
    diskFreeMb: 10_000,
    runningJobs: 0,
    at: Date.now(),
  });
  const closers: Array<() => void> = [];

  /** Lines logged per attempt so far: the next call numbers on from there. */
  const printed = new Map<string, number>();
  const assignment = (jobId: string) =>
    eventually(() => {
      const found = assigned.findLast(([, a]) => a.jobId === jobId);
      return found ? { workerId: found[0], attempt: found[1].attempt } : undefined;
    }, `an assignment of ${jobId}`);

  const fetchApi = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: {
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  return {
    url,
    serving,
    core,
    store,
    assigned,
    cancelled,
    run,
    // Registered, then the session's first heartbeat, as an agent does: only then is it placeable.
    register: async (name, extra = {}) => {
      const { workerId } = await run(
        core.inbound.register({
          name,
          capacity,
          labels: extra.labels ?? {},
          handlers: extra.handlers ?? [],
          running: [],
        }),
      );
      await run(core.inbound.heartbeat(workerId, idleTelemetry()));
      return workerId;
    },
    assignment,
    start: async (jobId) => {
      const { workerId, attempt } = await assignment(jobId);
      await run(core.inbound.started(workerId, jobId, attempt));
    },
    finish: async (jobId, outcome = { kind: "succeeded", exitCode: 0 }) => {
      const { workerId, attempt } = await assignment(jobId);
      await run(core.inbound.result(workerId, jobId, attempt, outcome));
    },
    log: async (jobId, lines) => {
      const { workerId, attempt } = await assignment(jobId);
      // Numbered as an agent numbers them: per attempt, from 1, on from the last call.
      const key = `${jobId}/${attempt}`;
      const first = (printed.get(key) ?? 0) + 1;
      printed.set(key, first + lines.length - 1);
      await run(
        core.inbound.logs(
          workerId,
          jobId,
          attempt,
          lines.map((line, i) => ({ seq: first + i, stream: "stdout", line, at: Date.now() })),
        ),
      );
    },
    heartbeat: (workerId, telemetry = {}) =>
      run(
        core.inbound.heartbeat(workerId, {
          cpuPercent: 12.5,
          memoryUsedMb: 1024,
          memoryTotalMb: 8192,
          load1: 0.5,
          diskFreeMb: 10_000,
          runningJobs: 0,
          at: Date.now(),
          ...telemetry,
        }),
      ),
    keepAlive: (workerId, telemetry = {}) => {
      const beat = () =>
        void Effect.runPromise(
          Effect.ignore(core.inbound.heartbeat(workerId, { ...idleTelemetry(), ...telemetry })),
        );
      const timer = setInterval(beat, 50);
      closers.push(() => clearInterval(timer));
      return () => clearInterval(timer);
    },
    token,
    tokenOf: async (role) =>
      (await run(serving.api.keyring.create({ role, name: `test ${role}` }, Date.now()))).token,
    fetch: fetchApi,
    json: async (path, init) => {
      const res = await fetchApi(path, init);
      const text = await res.text();
      return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
    },
    close: () => {
      for (const c of closers) c();
      return Effect.runPromise(Scope.close(scope, Exit.void));
    },
  };
};
