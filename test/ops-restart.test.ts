/**
 * Restarts and lost agents as an operator meets them, with real processes: `hodei serve` and
 * `hodei worker` on 127.0.0.1, on LMDB and on PostgreSQL.
 *
 * - A graceful restart while agents run jobs: the supervisor drains (its agents stay connected
 *   and are not lost meanwhile), closes, starts again on the same store and ports; the agents
 *   reconnect and report what finished while it was away. Every job succeeds, none twice.
 * - A full agent across a restart: a job waiting for room is not bounced back and forth (its
 *   attempt counter stays put), and the store starts again afterwards.
 * - A frozen agent (SIGSTOP past its heartbeat timeout, then SIGCONT) rejoins: the job it
 *   finished while frozen is recorded succeeded, and it takes new work.
 */
import { describe, expect, it } from "vitest";
import { maxBounces } from "../src/domain/retry.ts";
import {
  eventually,
  freePort,
  opsScopePerTest,
  serveStores,
  startServe,
  startWorker,
  type ApiClient,
  type JobView,
} from "./fixtures/ops-harness.ts";

const scope = opsScopePerTest();

const terminal = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

const allTerminal = (api: ApiClient, ids: ReadonlyArray<string>, timeoutMs = 60_000) =>
  eventually(
    "every job terminal",
    async () => {
      const jobs = await Promise.all(ids.map((id) => api.job(id)));
      return jobs.every((j) => terminal.has(j.state)) ? jobs : undefined;
    },
    timeoutMs,
    100,
  );

const withinPolicy = (j: JobView) => j.attempt <= j.spec.retry.maxAttempts + maxBounces;

const stores = serveStores((f) => scope.onCleanup(f));

const timing = ["--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "2000"];

describe.each(stores)("restarts and lost agents ($name)", (store) => {
  it(
    "a graceful restart while agents run jobs fails nothing and loses nothing",
    { timeout: 120_000 },
    async () => {
      const dir = scope.dir();
      const [http, grpc] = [await freePort(), await freePort()];
      const args = [...(await store.args()), ...timing];
      // A short grace: jobs still running when the supervisor closes finish while it is away.
      const serve = (grace: string) =>
        startServe({ dir, http, grpc, args, env: { HODEI_SHUTDOWN_GRACE_MS: grace } }).then(
          scope.track,
        );
      const first = await serve("400");
      scope.track(startWorker(grpc, ["--max-jobs", "4"]));
      scope.track(startWorker(grpc, ["--max-jobs", "4"]));
      const ids: string[] = [];
      for (let i = 0; i < 16; i++) {
        const s = (0.2 + (i % 5) * 0.3).toFixed(1);
        ids.push(
          await first.api.submit({ name: `j${i}`, command: { shell: `sleep ${s}; echo ok` } }),
        );
      }
      await eventually("some jobs running", async () => {
        const jobs = await Promise.all(ids.map((id) => first.api.job(id)));
        return jobs.filter((j) => j.state === "running").length >= 4 ? true : undefined;
      });
      first.proc.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      const second = await serve("30000");
      const jobs = await allTerminal(second.api, ids);
      expect(
        jobs.filter((j) => j.state !== "succeeded").map((j) => [j.id, j.state, j.result?.error]),
      ).toEqual([]);
      expect(jobs.filter((j) => !withinPolicy(j))).toEqual([]);
    },
  );

  it(
    "a job waiting for room on a full agent is not bounced across a restart",
    { timeout: 120_000 },
    async () => {
      const dir = scope.dir();
      const [http, grpc] = [await freePort(), await freePort()];
      const args = [...(await store.args()), ...timing];
      const serve = () =>
        startServe({ dir, http, grpc, args, env: { HODEI_SHUTDOWN_GRACE_MS: "100" } }).then(
          scope.track,
        );
      const first = await serve();
      scope.track(startWorker(grpc, ["--max-jobs", "2"]));
      const sleeps = [
        await first.api.submit({ name: "a", command: { shell: "sleep 4" } }),
        await first.api.submit({ name: "b", command: { shell: "sleep 4" } }),
      ];
      await eventually("both sleeps running", async () => {
        const jobs = await Promise.all(sleeps.map((id) => first.api.job(id)));
        return jobs.every((j) => j.state === "running") ? true : undefined;
      });
      const echo = await first.api.submit({ name: "c", command: { shell: "echo hi" } });
      first.proc.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      const second = await serve();
      const jobs = await allTerminal(second.api, [...sleeps, echo]);
      expect(jobs.map((j) => j.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
      // Placed once it had room: not assigned again and again to a full agent meanwhile.
      expect(jobs[2]!.attempt).toBeLessThanOrEqual(2);
      second.proc.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      // The store starts again, and says the same.
      const third = await serve();
      expect((await third.api.job(echo)).state).toBe("succeeded");
    },
  );

  it(
    "a frozen agent rejoins: what it finished while frozen is recorded, and it takes work again",
    { timeout: 120_000 },
    async () => {
      const dir = scope.dir();
      const [http, grpc] = [await freePort(), await freePort()];
      const args = [...(await store.args()), ...timing];
      const served = await startServe({
        dir,
        http,
        grpc,
        args,
        env: { HODEI_LOST_WORKER_GRACE_MS: "60000" },
      }).then(scope.track);
      const agent = scope.track(startWorker(grpc, ["--max-jobs", "2"]));
      const ids = [
        await served.api.submit({ name: "a", command: { shell: "sleep 0.5; echo a" } }),
        await served.api.submit({ name: "b", command: { shell: "sleep 1; echo b" } }),
      ];
      await eventually("both running", async () => {
        const jobs = await Promise.all(ids.map((id) => served.api.job(id)));
        return jobs.every((j) => j.state === "running") ? true : undefined;
      });
      agent.proc.kill("SIGSTOP");
      await eventually("the worker lost", async () =>
        (await served.api.workers()).some((w) => w.state === "lost") ? true : undefined,
      );
      agent.proc.kill("SIGCONT");
      const jobs = await allTerminal(served.api, ids);
      expect(jobs.map((j) => [j.state, j.attempt])).toEqual([
        ["succeeded", 1],
        ["succeeded", 1],
      ]);
      await eventually("the worker healthy again", async () =>
        (await served.api.workers()).every((w) => w.healthy && w.state !== "lost")
          ? true
          : undefined,
      );
      const after = await served.api.submit({ name: "c", command: { shell: "echo c" } });
      expect((await allTerminal(served.api, [after]))[0]!.state).toBe("succeeded");
    },
  );
});
