import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { exitCodeTable } from "../src/cli/exit-codes.ts";
import { defaultsFile, settingDocs, settingsTable } from "../src/config-docs.ts";
import { envName, HodeiConfig, loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("uses the defaults of a single machine", () => {
    const c = Either.getOrThrow(loadConfig({}, {}));
    expect(c).toMatchObject({
      http: "127.0.0.1:8080",
      grpc: "127.0.0.1:50051",
      dataDir: "./.hodei",
      heartbeatTimeoutMs: 30_000,
      strategy: "spread",
    });
    expect(c.databaseUrl).toBeUndefined();
  });

  it("takes flags over the environment over the file over defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "hodei-config-"));
    const file = join(dir, "hodei.yaml");
    writeFileSync(file, "grpc: 127.0.0.1:6000\nhttp: 127.0.0.1:7000\nheartbeatTimeoutMs: 1000\n");
    const env = { HODEI_HTTP_ADDR: "127.0.0.1:7001", HODEI_HEARTBEAT_TIMEOUT_MS: "2000" };
    const c = Either.getOrThrow(loadConfig({ config: file, heartbeatTimeoutMs: "3000" }, env));
    expect(c).toMatchObject({
      grpc: "127.0.0.1:6000",
      http: "127.0.0.1:7001",
      heartbeatTimeoutMs: 3000,
    });
  });

  it("names the bad setting and the reason", () => {
    const bad = loadConfig(
      {},
      { [envName("heartbeatTimeoutMs")]: "soon", HODEI_HTTP_ADDR: "nowhere" },
    );
    expect(Either.isLeft(bad)).toBe(true);
    const message = Either.isLeft(bad) ? bad.left.message : "";
    expect(message).toMatch(/http|heartbeatTimeoutMs/);
  });

  it("takes the pipelines module from --pipelines, HODEI_PIPELINES or the file's `pipelines`", () => {
    expect(Either.getOrThrow(loadConfig({}, {})).pipelines).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), "hodei-config-"));
    const file = join(dir, "hodei.yaml");
    writeFileSync(file, "pipelines: ./from-file.ts\n");
    expect(Either.getOrThrow(loadConfig({ config: file }, {})).pipelines).toBe("./from-file.ts");
    const env = { [envName("pipelines")]: "./from-env.ts" };
    expect(envName("pipelines")).toBe("HODEI_PIPELINES");
    expect(Either.getOrThrow(loadConfig({ config: file }, env)).pipelines).toBe("./from-env.ts");
    const flags = { config: file, pipelines: "./from-flag.ts" };
    expect(Either.getOrThrow(loadConfig(flags, env)).pipelines).toBe("./from-flag.ts");
    expect(Either.isLeft(loadConfig({ pipelines: "" }, {}))).toBe(true);
  });

  it("takes named queues' settings from the file (a mapping) or HODEI_QUEUES (JSON)", () => {
    const dir = mkdtempSync(join(tmpdir(), "hodei-config-"));
    const file = join(dir, "hodei.yaml");
    writeFileSync(
      file,
      "queues:\n  mail:\n    concurrency: 2\n  api:\n    rateLimit: { max: 10, perMs: 1000 }\n    paused: true\n",
    );
    expect(Either.getOrThrow(loadConfig({ config: file }, {})).queues).toEqual({
      mail: { concurrency: 2 },
      api: { rateLimit: { max: 10, perMs: 1000 }, paused: true },
    });
    const env = { HODEI_QUEUES: '{"reports":{"concurrency":1}}' };
    expect(Either.getOrThrow(loadConfig({}, env)).queues).toEqual({ reports: { concurrency: 1 } });
    expect(Either.getOrThrow(loadConfig({}, {})).queues).toBeUndefined();
    const message = (queues: string) => {
      const r = loadConfig({}, { HODEI_QUEUES: queues });
      return Either.isLeft(r) ? r.left.message : "accepted";
    };
    expect(message('{"bad name":{}}')).toMatch(/queues/);
    expect(message('{"mail":{"concurrency":0}}')).toMatch(/queues\.mail\.concurrency/);
    expect(message('{"mail":{"speed":1}}')).toMatch(/queues\.mail\.speed/);
    expect(message("{nope")).toMatch(/queues/);
  });

  it("refuses unknown settings in a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "hodei-config-"));
    const file = join(dir, "hodei.json");
    writeFileSync(file, JSON.stringify({ htp: "127.0.0.1:1" }));
    const bad = loadConfig({ config: file }, {});
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/unknown setting\(s\) htp/);
  });

  it("has the security settings: auth on, no origins, JWTs within 30 days, 10,000 workers", () => {
    const c = Either.getOrThrow(loadConfig({}, {}));
    expect(c).toMatchObject({
      insecureNoAuth: false,
      metricsPublic: false,
      jwtMaxLifetimeMs: 30 * 86_400_000,
      maxWorkers: 10_000,
    });
    expect(c.apiAllowedOrigins).toBeUndefined();
    const env = {
      HODEI_INSECURE_NO_AUTH: "1",
      HODEI_API_ALLOWED_ORIGINS: "https://ops.example.com,http://localhost:3000",
      HODEI_METRICS_PUBLIC: "true",
      HODEI_MAX_WORKERS: "50",
    };
    expect(Either.getOrThrow(loadConfig({}, env))).toMatchObject({
      insecureNoAuth: true,
      metricsPublic: true,
      apiAllowedOrigins: "https://ops.example.com,http://localhost:3000",
      maxWorkers: 50,
    });
    // As commander gives a flag: a boolean.
    const flag = { insecureNoAuth: true } as unknown as Record<string, string>;
    expect(Either.getOrThrow(loadConfig(flag, {})).insecureNoAuth).toBe(true);
  });

  it("refuses insecureNoAuth off loopback, a short JWT secret and a bad origin, naming each", () => {
    const message = (flags: Record<string, string>) => {
      const r = loadConfig(flags, {});
      return Either.isLeft(r) ? r.left.message : "accepted";
    };
    for (const http of ["0.0.0.0:8080", "10.1.2.3:8080", "example.com:80", "[::]:8080"]) {
      expect(message({ insecureNoAuth: "true", http }), http).toMatch(
        /insecureNoAuth .* binds only a loopback address/,
      );
    }
    for (const http of ["127.0.0.1:8080", "localhost:1", "[::1]:8080"]) {
      expect(message({ insecureNoAuth: "true", http }), http).toBe("accepted");
    }
    expect(message({ jwtSecret: "x".repeat(31) })).toMatch(/jwtSecret.*at least 32 bytes/s);
    expect(message({ jwtSecret: "x".repeat(32) })).toBe("accepted");
    expect(message({ apiAllowedOrigins: "evil.example" })).toMatch(/apiAllowedOrigins/);
    expect(message({ maxWorkers: "0" })).toMatch(/maxWorkers/);
  });
});

describe("the documentation of the settings", () => {
  it("describes every setting, with its flag, variable and default", () => {
    const docs = settingDocs();
    expect(docs.map((d) => d.key)).toEqual(Object.keys(HodeiConfig.fields));
    expect(docs.find((d) => d.key === "dataDir")).toMatchObject({
      flag: "--data-dir",
      env: "HODEI_DATA_DIR",
      default: "./.hodei",
    });
    // Secrets come from the environment or the file only: flags show in `ps`.
    expect(docs.find((d) => d.key === "apiToken")?.flag).toBeUndefined();
  });

  it("prints the defaults as a config file that loads as the defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "hodei-config-"));
    const file = join(dir, "defaults.yaml");
    writeFileSync(file, defaultsFile());
    expect(Either.getOrThrow(loadConfig({ config: file }, {}))).toEqual(
      Either.getOrThrow(loadConfig({}, {})),
    );
  });

  it("keeps the README's settings table equal to the generated one", () => {
    const readme = readFileSync("README.md", "utf8");
    const section =
      /<!-- settings:start -->\n<!-- prettier-ignore-start -->\n([\s\S]*?)\n<!-- prettier-ignore-end -->\n<!-- settings:end -->/.exec(
        readme,
      );
    expect(section, "the README's settings section").not.toBeNull();
    expect(section![1]).toBe(settingsTable());
  });

  it("keeps the README's exit codes equal to the command's", () => {
    const readme = readFileSync("README.md", "utf8");
    const rows = [...readme.matchAll(/^\| (\d+)\s+\| (.+?)\s+\|$/gm)].map((m) => [
      Number(m[1]),
      m[2],
    ]);
    expect(rows).toEqual(exitCodeTable.map(([code, meaning]) => [code, meaning]));
  });
});
