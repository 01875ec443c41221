/**
 * API auth as a user meets it, with real processes (`bin/hodei.mjs`): the first start on
 * loopback writes an admin token (mode 0600) into the data directory and says where, the CLI
 * finds it by itself, `hodei tokens create|list|revoke` manage the others; a start on a
 * network address without a token, with --insecure-no-auth, or with a short JWT secret exits 2;
 * and with a token configured, every /api/v1 route answers 401 without it and 403 with a
 * weaker role.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

const bin = "bin/hodei.mjs";
let servers: ChildProcess[] = [];
let dirs: string[] = [];

afterEach(() => {
  for (const s of servers) if (s.exitCode === null) process.kill(-s.pid!, "SIGKILL");
  servers = [];
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-cli-tokens-"));
  dirs.push(dir);
  return dir;
};

const serveArgs = (dir: string, http = "127.0.0.1:0", more: string[] = []) => [
  bin,
  "serve",
  "--http",
  http,
  "--grpc",
  "127.0.0.1:0",
  "--data-dir",
  dir,
  ...more,
];

/** Starts `hodei serve`; resolves with the API's URL (on 127.0.0.1) and what it logged. */
const serve = async (dir: string, http?: string, env: Record<string, string> = {}) => {
  const server = spawn(process.execPath, serveArgs(dir, http), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HODEI_LOG_LEVEL: "info", ...env },
    detached: true,
  });
  servers.push(server);
  let logged = "";
  server.stderr!.on("data", (d) => (logged += d));
  const api = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).on("line", (l) => {
      const m = /API\s+http:\/\/\S+:(\d+)\/api\/v1/.exec(l);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    server.once("exit", (code) => reject(new Error(`hodei serve exited with ${code}: ${logged}`)));
  });
  return { server, api, logged: () => logged };
};

/** A start that must fail: its exit code and what it said. */
const refusedStart = (dir: string, http: string, more: string[] = [], env = {}) => {
  const r = spawnSync(process.execPath, serveArgs(dir, http, more), {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, HODEI_LOG_LEVEL: "warn", HODEI_API_TOKEN: "", ...env },
  });
  return { status: r.status, stderr: r.stderr };
};

const hodei = (api: string, env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, "--api", api], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, HODEI_API_TOKEN: "", ...env },
  });

describe("API tokens from the command line", () => {
  it(
    "writes the first admin token (0600) where the CLI finds it; tokens are created, used and revoked",
    { timeout: 120_000 },
    async () => {
      const dir = tempDir();
      const first = await serve(dir);
      const file = join(dir, "api-token");
      const admin = readFileSync(file, "utf8").trim();
      expect(admin).toMatch(/^hodei_[0-9a-f]{16}_[0-9a-f]{64}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(first.logged()).toContain(file);

      const local = { HODEI_DATA_DIR: dir };
      const created = hodei(
        first.api,
        local,
        "tokens",
        "create",
        "--role",
        "submit",
        "--name",
        "ci",
      );
      expect(created.status, created.stderr).toBe(0);
      const submitToken = created.stdout.trim();
      expect(submitToken).toMatch(/^hodei_/);
      expect(created.stderr).toMatch(/submit\s+active/);
      const listed = JSON.parse(
        hodei(first.api, local, "tokens", "list", "--json").stdout,
      ) as Array<{
        id: string;
        role: string;
      }>;
      expect(listed.map((t) => t.role).sort()).toEqual(["admin", "submit"]);
      const ci = listed.find((t) => t.role === "submit")!;

      const asCi = { HODEI_API_TOKEN: submitToken };
      const submitted = hodei(first.api, asCi, "submit", "--command", "true", "--json");
      expect(submitted.status, submitted.stderr).toBe(0);
      const id = (JSON.parse(submitted.stdout) as { id: string }).id;
      const cancel = hodei(first.api, asCi, "jobs", "cancel", id);
      expect(cancel.status).toBe(5);
      expect(cancel.stderr).toMatch(/needs a token with the admin role; this one has submit/);

      expect(hodei(first.api, local, "tokens", "revoke", ci.id).stdout).toMatch(/revoked/);
      const revoked = hodei(first.api, asCi, "jobs");
      expect(revoked.status).toBe(5);
      expect(revoked.stderr).toMatch(/refused the token/);
      // Elsewhere on the machine, with no token and another data directory: told what to set.
      const lost = hodei(first.api, { HODEI_DATA_DIR: tempDir() }, "jobs");
      expect(lost.stderr).toMatch(/asks for a token: set HODEI_API_TOKEN/);

      // A second start on the same directory: no new token, and the directory is still ours.
      first.server.kill("SIGTERM");
      await new Promise((r) => first.server.once("exit", r));
      const second = await serve(dir);
      expect(readFileSync(file, "utf8").trim()).toBe(admin);
      expect(second.logged()).not.toContain("wrote an admin API token");
      expect(hodei(second.api, local, "jobs", "get", id, "--json").status).toBe(0);
    },
  );

  it("exits 2 on a network address without a token, with --insecure-no-auth, or with a short JWT secret", () => {
    const open = refusedStart(tempDir(), "0.0.0.0:0");
    expect(open.status).toBe(2);
    expect(open.stderr).toMatch(/refusing to serve the API on 0\.0\.0\.0:0 with no token/);
    const insecure = refusedStart(tempDir(), "0.0.0.0:0", ["--insecure-no-auth"]);
    expect(insecure.status).toBe(2);
    expect(insecure.stderr).toMatch(/binds only a loopback address/);
    const jwt = refusedStart(tempDir(), "127.0.0.1:0", [], { HODEI_JWT_SECRET: "short" });
    expect(jwt.status).toBe(2);
    expect(jwt.stderr).toMatch(/at least 32 bytes/);
  });

  it(
    "with a token on a network address: every /api/v1 route is 401 without it, 403 with a weaker role",
    { timeout: 60_000 },
    async () => {
      const adminToken = "an-admin-token-from-the-configuration";
      const { api } = await serve(tempDir(), "0.0.0.0:0", { HODEI_API_TOKEN: adminToken });
      const call = (method: string, path: string, token?: string) =>
        fetch(`${api}${path}`, {
          method,
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(method === "POST" ? { body: "{}" } : {}),
        });
      const doc = (await (await call("GET", "/api/v1/openapi.json", adminToken)).json()) as any;
      const read = (await (
        await fetch(`${api}/api/v1/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ role: "read" }),
        })
      ).json()) as { token: string };
      let checked = 0;
      for (const [template, item] of Object.entries(doc.paths as Record<string, any>)) {
        if (!template.startsWith("/api/v1")) continue;
        const path = template.replace(/\{(\w+)\}/g, (_, p) =>
          p === "name" ? "ci" : "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        );
        for (const [method, op] of Object.entries(item as Record<string, any>)) {
          const where = `${method} ${template}`;
          if (op["x-hodei-role"] === undefined) {
            // The one public /api/v1 route: a one-time link's code is its credential.
            expect(where).toBe("post /api/v1/ui/exchange");
            continue;
          }
          expect((await call(method.toUpperCase(), path)).status, where).toBe(401);
          const asRead = (await call(method.toUpperCase(), path, read.token)).status;
          if (op["x-hodei-role"] === "read") expect(asRead, where).not.toBe(403);
          else expect(asRead, where).toBe(403);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
    },
  );
});
