/**
 * `hodei serve` and `hodei config` through the real binary: every URL the start banner prints
 * answers; a busy worker-protocol port is named in one line (exit 2), and so is each bad
 * setting, by the flag or variable that gave it; local agents are
 * `local-1`, `local-2` and come back as the same workers across restarts instead of piling up
 * lost ones; `hodei config --print-defaults` prints a config file `serve` accepts.
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkerSummary } from "../src/api/schemas.ts";
import {
  cliToken,
  exitOf,
  hodei,
  hodeiRaw,
  serve,
  stopAll,
  tempDir,
  until,
} from "./fixtures/cli-harness.ts";

afterEach(stopAll);

const listen = (): Promise<Server> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => resolve(s));
  });

describe("hodei serve", { timeout: 120_000 }, () => {
  it("prints a banner whose every URL answers", async () => {
    const { banner } = await serve(join(tempDir("hodei-serve-"), "data"));
    const urls = banner.flatMap((l) => [...l.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]));
    expect(urls.length).toBeGreaterThanOrEqual(2);
    const headers = { authorization: `Bearer ${cliToken}` };
    for (const url of urls) expect((await fetch(url, { headers })).status, url).toBe(200);
  });

  it("names a busy worker-protocol port in one line, and exits 2", async () => {
    const busy = await listen();
    try {
      const { port } = busy.address() as { port: number };
      const r = hodeiRaw(
        "serve",
        "--http",
        "127.0.0.1:0",
        "--grpc",
        `127.0.0.1:${port}`,
        "--data-dir",
        join(tempDir("hodei-serve-"), "data"),
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        `hodei: cannot serve the worker protocol on 127.0.0.1:${port}: the port is in use`,
      );
      expect(r.stderr).not.toMatch(/No address added|unknown error/);
    } finally {
      busy.close();
    }
  });

  it("names a data directory it cannot use in one line, and exits 2, touching nothing", () => {
    const dir = join(tempDir("hodei-serve-"), "not-hodei");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const r = hodeiRaw(
      "serve",
      "--http",
      "127.0.0.1:0",
      "--grpc",
      "127.0.0.1:0",
      "--data-dir",
      dir,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `hodei: cannot use the store at ${dir}: it holds files that are not Hodei's ("notes.txt")`,
    );
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("names each bad setting as it was given, flag or variable, and exits 2", () => {
    const r = spawnSync(
      process.execPath,
      ["bin/hodei.mjs", "serve", "--heartbeat-timeout-ms", "soon", "--strategy", "fast"],
      { encoding: "utf8", env: { ...process.env, HODEI_HTTP_ADDR: "nowhere" } },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hodei: invalid configuration \(3 problems\):$/m);
    expect(r.stderr).toMatch(/^ {2}--heartbeat-timeout-ms: .*"soon"/m);
    expect(r.stderr).toMatch(
      /^ {2}--strategy: Expected "spread", actual "fast"; Expected "binpack"/m,
    );
    expect(r.stderr).toMatch(/^ {2}HODEI_HTTP_ADDR: Expected host:port/m);
  });

  it("brings its local agents back as the same workers after each restart", async () => {
    const data = join(tempDir("hodei-serve-"), "data");
    for (let restart = 0; restart < 2; restart++) {
      const s = await serve(data, "--local-workers", "2");
      const workers = await until(() => {
        const list = JSON.parse(hodei(s.api, "workers", "--json").stdout) as {
          workers: WorkerSummary[];
        };
        return list.workers.length === 2 && list.workers.every((w) => w.healthy)
          ? list.workers
          : undefined;
      }, "two healthy workers");
      expect(workers.map((w) => [w.id, w.name])).toEqual([
        ["local-1", "local-1"],
        ["local-2", "local-2"],
      ]);
      s.process.kill("SIGTERM");
      expect(await exitOf(s.process)).toBe(0);
    }
  });
});

describe("hodei config", () => {
  it("prints every setting at its default, as a file serve accepts", async () => {
    const printed = hodeiRaw("config", "--print-defaults");
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(
      /^# HTTP API address .*\(--http, HODEI_HTTP_ADDR\)\nhttp: 127\.0\.0\.1:8080$/m,
    );
    expect(printed.stdout).toMatch(/^# .* \(HODEI_API_TOKEN\)\n# apiToken:$/m);
    const dir = tempDir("hodei-config-");
    const file = join(dir, "hodei.yaml");
    // Ephemeral ports, so it starts whatever else listens here.
    writeFileSync(
      file,
      printed.stdout
        .replace("http: 127.0.0.1:8080", "http: 127.0.0.1:0")
        .replace("grpc: 127.0.0.1:50051", "grpc: 127.0.0.1:0")
        .replace("dataDir: ./.hodei", `dataDir: ${join(dir, "data")}`),
    );
    const s = await serve(join(dir, "unused"), "--config", file);
    expect((await fetch(`${s.api}/ready`)).status).toBe(200);
    const table = hodeiRaw("config", "--print-defaults", "--format", "markdown");
    expect(table.stdout).toMatch(/^\| setting \| flag \| environment \| default \| meaning \|$/m);
  });
});
