/**
 * The package as its users get it, from outside this repository. `npm pack` makes the tarball
 * (from the dist/ the test setup built); the container image's runtime stage installs it, with
 * production dependencies only, into an empty directory in the system's temp dir — the script
 * and its arguments read from the Dockerfile, so the image recipe cannot rot unseen. That
 * directory is then an ordinary project without `"type": "module"`, where:
 * - the runtime stage's command starts as an unprivileged user and its HEALTHCHECK passes;
 * - `import { pipeline, createSupervisor, createWorker } from "hodei"` runs under plain node;
 * - `tsc --noEmit` (moduleResolution nodenext) type-checks a pipeline against the shipped types,
 *   and refuses a wrong one;
 * - `npx hodei --version` answers, and `npx hodei serve` runs a `.ts` pipelines module of this
 *   CommonJS folder through its local agent (an ESM folder's: cli-pipelines.test.ts).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll, tempDir, until } from "./fixtures/cli-harness.ts";

const repo = resolve(".");
let root = "";
let project = "";
let data = "";
const started: ChildProcess[] = [];

/** The runtime stage of the Dockerfile: its settings, install step, user, command, health check. */
const runtimeStage = () => {
  const text = readFileSync(join(repo, "Dockerfile"), "utf8").replace(/\\\n\s*/g, " ");
  const stage = text.slice(text.indexOf(" AS runtime"));
  const line = (instruction: string) =>
    stage
      .split("\n")
      .filter((l) => l.startsWith(`${instruction} `))
      .map((l) => l.slice(instruction.length + 1).trim());
  const env = Object.fromEntries(
    line("ENV").flatMap((l) => [...l.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
  );
  const copied = line("COPY").find((l) => l.startsWith(".ci/runtime-stage.sh "));
  const install = /^hodei-runtime-stage (\S+) (\S+) (\S+) (\S+)/.exec(line("RUN")[0] ?? "");
  const health = /^--.*CMD (\[.*\])$/.exec(line("HEALTHCHECK")[0] ?? "");
  return {
    env,
    scriptInstalled: copied === ".ci/runtime-stage.sh /usr/local/bin/hodei-runtime-stage",
    install: install === null ? undefined : install.slice(1),
    user: line("USER")[0],
    workdir: line("WORKDIR")[0],
    cmd: JSON.parse(line("CMD")[0] ?? "[]") as string[],
    health: health === null ? [] : (JSON.parse(health[1]!) as string[]),
  };
};

/** An unprivileged user to run as: nobody when this is root, else whoever this is. */
const asUser = (argv: string[]): string[] =>
  process.getuid?.() === 0
    ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ...argv]
    : argv;

const freePort = (): Promise<number> =>
  new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

/**
 * Runs a command to its end, without blocking this worker's event loop (a long `spawnSync`
 * starves vitest's own messages).
 */
const run = (
  cmd: string,
  args: string[],
  cwd = project,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; stdout: string; stderr: string }> =>
  new Promise((done) =>
    execFile(
      cmd,
      args,
      { cwd, encoding: "utf8", timeout: 180_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        done({
          status: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        }),
    ),
  );

/** Starts a long-running command in the project; resolves with a line-by-line reader. */
const start = (argv: string[], env: NodeJS.ProcessEnv, cwd = project) => {
  const p = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(p);
  const out: string[] = [];
  createInterface({ input: p.stdout! }).on("line", (l) => out.push(l));
  let err = "";
  p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return { p, out, stderr: () => err };
};

beforeAll(async () => {
  root = tempDir("hodei-package-");
  // Readable by the unprivileged user the supervisor runs as.
  chmodSync(root, 0o755);
  const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", root], repo);
  expect(packed.status, packed.stderr).toBe(0);
  const tarball = join(
    root,
    readdirSync(root).find((f) => f.endsWith(".tgz"))!,
  );
  const stage = runtimeStage();
  expect(stage.scriptInstalled).toBe(true);
  const [from, home, dataDir, user] = stage.install!;
  expect([from, home, dataDir, user]).toEqual([
    "/tmp/hodei.tgz",
    "/opt/hodei",
    "/var/lib/hodei",
    stage.user,
  ]);
  project = join(root, "project");
  data = join(root, "data");
  const owner = process.getuid?.() === 0 ? "nobody:nogroup" : String(process.getuid?.());
  const installed = await run(
    "sh",
    [join(repo, ".ci/runtime-stage.sh"), tarball, project, data, owner],
    root,
    // From the npm cache that `npm ci` filled when it can: CI does not wait on the network.
    { npm_config_prefer_offline: "true" },
  );
  expect(installed.status, installed.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  for (const p of started)
    if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, "SIGKILL");
  stopAll();
});

describe("the package, installed outside the repository", { timeout: 180_000 }, () => {
  it("runs the container's runtime stage: an unprivileged supervisor whose health check passes", async () => {
    const stage = runtimeStage();
    const [http, grpc] = [await freePort(), await freePort()];
    const env = {
      ...stage.env,
      HODEI_HTTP_ADDR: `127.0.0.1:${http}`,
      HODEI_GRPC_ADDR: `127.0.0.1:${grpc}`,
      HODEI_DATA_DIR: data,
    };
    const remap = (a: string) => a.replace("/opt/hodei", project).replace("/var/lib/hodei", data);
    expect(stage.workdir).toBe("/var/lib/hodei");
    const supervisor = start(asUser(stage.cmd.map(remap)), env, data);
    const healthy = async () =>
      (await run(stage.health[0]!, stage.health.slice(1), data, env)).status;
    await until(async () => ((await healthy()) === 0 ? true : undefined), "the health check");
    const uid = /^Uid:\s+(\d+)/m.exec(
      readFileSync(`/proc/${supervisor.p.pid}/status`, "utf8"),
    )?.[1];
    if (process.getuid?.() === 0) expect(uid).toBe("65534");
    expect(uid).not.toBe("0");
    // The data directory is the supervisor's: its store is there.
    expect(readdirSync(data).length).toBeGreaterThan(0);
    process.kill(supervisor.p.pid!, "SIGTERM");
    expect(await new Promise((r) => supervisor.p.once("exit", r))).toBe(0);
    expect(await healthy()).not.toBe(0);
  });

  it("imports hodei under plain node", async () => {
    writeFileSync(
      join(project, "use.mjs"),
      [
        'import { pipeline, createSupervisor, createWorker } from "hodei";',
        'import { simulatePipeline } from "hodei/testing";',
        'const p = pipeline("hello").step("say", { command: { shell: "echo hi" } });',
        "console.log(p.name, typeof createSupervisor, typeof createWorker, typeof simulatePipeline);",
      ].join("\n"),
    );
    const r = await run(process.execPath, ["use.mjs"]);
    expect([r.status, r.stdout.trim()], r.stderr).toEqual([0, "hello function function function"]);
  });

  it("type-checks a pipeline against the shipped types with nodenext, and refuses a wrong one", async () => {
    const dir = join(project, "typed");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "good.ts"),
      [
        'import { pipeline, type Pipeline } from "hodei";',
        'export const ci: Pipeline = pipeline<{ branch: string }>("ci")',
        '  .step("build", { command: { shell: "make" } })',
        '  .step("deploy", { needs: ["build"], when: ({ input }) => input.branch === "main", command: { shell: "./deploy" } });',
      ].join("\n"),
    );
    // A step that needs one never declared: the builder's types refuse it.
    writeFileSync(
      join(dir, "bad.ts"),
      [
        'import { pipeline } from "hodei";',
        'export const ci = pipeline("ci").step("deploy", { needs: ["nothing"], command: { shell: "x" } });',
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          // As most projects do: the libraries' own .d.ts are not re-checked, these files are.
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(repo, "node_modules/@types")],
        },
        files: ["good.ts", "bad.ts"],
      }),
    );
    const tsc = await run(process.execPath, [
      join(repo, "node_modules/typescript/bin/tsc"),
      "-p",
      dir,
    ]);
    expect(tsc.status).not.toBe(0);
    const errors = tsc.stdout.split("\n").filter((l) => / error TS\d+/.test(l));
    expect(errors.length, tsc.stdout).toBeGreaterThan(0);
    expect(
      errors.every((l) => /(^|\/)bad\.ts\(2,/.test(l)),
      tsc.stdout,
    ).toBe(true);
  });

  it("answers npx hodei --version, and serves a .ts pipelines module of a CommonJS folder", async () => {
    const version = await run("npx", ["--no-install", "hodei", "--version"]);
    expect([version.status, version.stdout.trim()], version.stderr).toEqual([0, "0.1.0"]);
    writeFileSync(
      join(project, "pipelines.ts"),
      'import { pipeline } from "hodei";\nexport const hello = pipeline("hello").step("say", { command: { shell: "echo hi" } });\n',
    );
    const ports = ["--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"];
    const s = start(
      [
        "npx",
        "--no-install",
        "hodei",
        "serve",
        "--local-workers",
        "1",
        "--pipelines",
        "pipelines.ts",
        ...ports,
        "--data-dir",
        join(root, "data-npx"),
      ],
      { HODEI_LOG_LEVEL: "warn" },
    );
    const api = await until(() => {
      const line = s.out.find((l) => /API\s+http/.test(l));
      return line === undefined ? undefined : /(http:\/\/\S+)\/api\/v1/.exec(line)![1]!;
    }, "the banner");
    // The CLI finds the supervisor's first admin token in its data directory.
    const ran = await run("npx", ["--no-install", "hodei", "run", "hello", "--api", api], project, {
      HODEI_DATA_DIR: join(root, "data-npx"),
    });
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^say succeeded in/m);
    expect(ran.stdout).toMatch(/^run \S+ succeeded in/m);
    // The dashboard is in the package: its page, and the script the page loads.
    const page = await fetch(`${api}/`);
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${api}${script}`)).status).toBe(200);
    process.kill(-s.p.pid!, "SIGTERM");
    await new Promise((r) => s.p.once("exit", r));
  });
});
