/**
 * Store faults are errors, not crashes, with a real supervisor process and a real agent:
 * - LMDB whose file cannot grow (the process's file-size limit: what a full disk does to
 *   LMDB), filled mid-load: the supervisor stays up, submits answer 503, /ready is false; once
 *   the limit is lifted (space freed) it goes on by itself, and every job answered 201 is there
 *   and finishes;
 * - PostgreSQL whose backends serving the supervisor are all terminated mid-load: it stays up,
 *   every 201'd job is there and finishes, /ready comes back.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "./fixtures/e2e-harness.ts";
import {
  dropSchema,
  pgUrl,
  requirePostgres,
  tempDir,
  uniqueSchema,
} from "./fixtures/persistence-adapters.ts";
import { apiFetch, serveProcess, type ServeProcess } from "./fixtures/serve-process.ts";

const token = "faults-token";
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const start = (args: string[], prefix: string[] = []): ServeProcess => {
  const s = serveProcess(args, { env: { HODEI_WORKER_TOKEN: token }, prefix });
  cleanups.push(() => s.kill());
  return s;
};
const agent = (grpc: string): Agent => {
  const a = startAgent(grpc, token);
  cleanups.push(() => {
    a.process.kill("SIGKILL");
    return a.exited;
  });
  return a;
};

/** A job whose spec weighs about `pad` bytes more: fills a store faster. */
const submit = async (
  api: string,
  i: number,
  pad = 0,
): Promise<{ status: number; id?: string }> => {
  const r = await apiFetch(`${api}/api/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: `j${i}`,
      command: { shell: `echo job ${i}`, env: { PAD: "x".repeat(pad) } },
    }),
  });
  const body = (await r.json()) as { id?: string };
  return r.status === 201 ? { status: 201, id: body.id! } : { status: r.status };
};
const readyStatus = async (api: string) => (await fetch(`${api}/ready`)).status;
const stateOf = async (api: string, id: string) =>
  ((await (await apiFetch(`${api}/api/v1/jobs/${id}`)).json()) as { state: string }).state;

const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await f();
    if (a !== undefined) return a;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Every job answered 201 is known and ends succeeded. */
const allSucceed = async (api: string, ids: ReadonlyArray<string>) => {
  for (const id of ids) {
    await until(`job ${id} to succeed`, async () => {
      const state = await stateOf(api, id);
      expect(["queued", "scheduled", "running", "succeeded"]).toContain(state);
      return state === "succeeded" ? true : undefined;
    });
  }
};

describe("store faults", () => {
  it(
    "LMDB full mid-load: 503s and not ready, nothing acknowledged lost, recovers once space is back",
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      // A soft limit only: the process (or prlimit) may raise it again, as freeing space would.
      const server = start(["--data-dir", dir], ["prlimit", "--fsize=700000:unlimited"]);
      const { api, grpc } = await server.started;
      agent(grpc);
      const acked: string[] = [];
      let refused = 0;
      for (let i = 0; i < 5_000 && refused < 20; i += 8) {
        const batch = await Promise.all(
          Array.from({ length: 8 }, (_, k) => submit(api, i + k, 4000)),
        );
        for (const r of batch) {
          if (r.status === 201) acked.push(r.id!);
          else {
            expect(r.status).toBe(503);
            refused++;
          }
        }
      }
      expect(refused).toBeGreaterThanOrEqual(20);
      expect(acked.length).toBeGreaterThan(40);
      await until("/ready to say not ready", async () =>
        (await readyStatus(api)) === 503 ? true : undefined,
      );
      expect(server.process.exitCode).toBeNull();

      execFileSync("prlimit", ["--pid", String(server.pid), "--fsize=unlimited:unlimited"]);
      await until("/ready", async () => ((await readyStatus(api)) === 200 ? true : undefined));
      const after = await until("a submit to be taken", async () => {
        const r = await submit(api, -1);
        return r.status === 201 ? r.id : undefined;
      });
      await allSucceed(api, [...acked, after]);
      expect(server.process.exitCode).toBeNull();
    },
  );

  it(
    "PostgreSQL backends terminated mid-load: stays up, every 201'd job finishes, ready again",
    { timeout: 180_000 },
    async () => {
      await requirePostgres();
      const schema = uniqueSchema();
      cleanups.push(() => dropSchema(schema));
      const server = start(["--database-url", pgUrl, "--database-schema", schema]);
      const { api, grpc } = await server.started;
      agent(grpc);
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      cleanups.push(() => admin.end());
      const terminate = () =>
        admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
             where application_name like $1 and pid <> pg_backend_pid()`,
          [`hodei-% pid=${server.pid}%`],
        );

      // Six times: terminate every backend of the supervisor, submit while it reconnects (a
      // 201 or a 503, nothing else), then wait for a submit to be taken again. The rounds wait
      // on the store coming back, not on a clock: how many submits land in the gap varies.
      const acked: string[] = [];
      let terminated = 0;
      for (let round = 0; round < 6; round++) {
        terminated += (await terminate()).rowCount ?? 0;
        const batch = await Promise.all(
          Array.from({ length: 6 }, (_, k) => submit(api, round * 10 + k)),
        );
        for (const r of batch) {
          if (r.status === 201) acked.push(r.id!);
          else expect(r.status).toBe(503);
        }
        acked.push(
          await until("a submit to be taken", async () => {
            const r = await submit(api, round * 10 + 9);
            return r.status === 201 ? r.id : undefined;
          }),
        );
      }
      expect(terminated).toBeGreaterThan(4);
      expect(server.process.exitCode).toBeNull();
      await until("/ready", async () => ((await readyStatus(api)) === 200 ? true : undefined));
      expect(acked.length).toBeGreaterThanOrEqual(6);
      await allSucceed(api, acked);
      expect(server.process.exitCode).toBeNull();
    },
  );
});
