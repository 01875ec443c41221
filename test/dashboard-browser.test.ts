/**
 * The web dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core),
 * against a real supervisor: `hodei serve --local-workers 1` as a process (LMDB in a temp dir,
 * ephemeral ports) with the `gated` pipeline (test/fixtures/pipelines/gated.ts).
 *
 * As an admin signed in through `hodei ui`'s one-time link: the overview shows the worker; a job
 * submitted while the jobs page is open appears and reaches `succeeded` with no reload, its log
 * lines arriving live (the job holds its second line until the test has seen the first); a run
 * of `gated` shows `deploy` waiting in its DAG, and its signal button moves the run on. Signed
 * in with a `read` token typed into the form: no cancel, retry, drain or signal button anywhere.
 *
 * Screenshots of every page go to a folder the test prints (HODEI_SCREENSHOTS, or a temp dir).
 * Any console error or page error fails the test. Every wait is on a condition, never a delay.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const bin = "bin/hodei.mjs";
const chromiumPath = process.env["HODEI_CHROMIUM"] ?? "/usr/bin/chromium";
const shots = resolve(
  process.env["HODEI_SCREENSHOTS"] ?? mkdtempSync(join(tmpdir(), "hodei-shots-")),
);
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let dir = "";
let api = "";
let dashboard = "";
let admin = "";
const problems: string[] = [];

const call = async <A>(path: string, init: RequestInit = {}, token = admin): Promise<A> => {
  const res = await fetch(`${api}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  const body = (await res.json()) as A;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
};

const watch = (page: Page, who: string): Page => {
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${who} console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${who} page error: ${e.message}`));
  return page;
};

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hodei-dashboard-"));
  mkdirSync(shots, { recursive: true });
  console.log(`dashboard screenshots: ${shots}`);
  const args = ["serve", "--local-workers", "1", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"];
  server = spawn(
    process.execPath,
    [
      bin,
      ...args,
      "--data-dir",
      join(dir, "data"),
      "--pipelines",
      "test/fixtures/pipelines/gated.ts",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HODEI_LOG_LEVEL: "warn" },
      detached: true,
    },
  );
  server.stderr!.resume();
  [dashboard, api] = await new Promise<[string, string]>((done, fail) => {
    let page = "";
    createInterface({ input: server!.stdout! }).on("line", (l) => {
      page ||= /dashboard\s+(http:\/\/\S+\/)/.exec(l)?.[1] ?? "";
      const m = /API\s+(http:\/\/\S+)\/api\/v1/.exec(l);
      if (m) done([page, m[1]!]);
    });
    server!.once("exit", (code) => fail(new Error(`hodei serve exited with ${code}`)));
  });
  admin = readFileSync(join(dir, "data", "api-token"), "utf8").trim();
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server?.exitCode === null) process.kill(-server.pid!, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("the dashboard in a browser", { timeout: 60_000 }, () => {
  it("needs Chromium", () => {
    expect(existsSync(chromiumPath), `${chromiumPath}: install Debian's chromium`).toBe(true);
    expect(dashboard).toBe(`${api}/`);
  });

  it("shows an admin the cluster, a job live to its end, and a run moved on by its signal", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage(), "admin");
    // Signed in as `hodei ui` does it: a one-time link, made with the CLI's token.
    const ui = spawnSync(process.execPath, [bin, "ui", "--no-open", "--api", api], {
      encoding: "utf8",
      env: { ...process.env, HODEI_DATA_DIR: join(dir, "data") },
    });
    expect(ui.status, ui.stderr).toBe(0);
    const link = /dashboard: (\S+)/.exec(ui.stdout)![1]!;
    await page.goto(link);
    await page.getByTestId("role").filter({ hasText: "admin" }).waitFor();
    expect(page.url()).not.toContain("code=");
    await page.getByTestId("live").filter({ hasText: "live" }).waitFor();
    await page.getByTestId("workers-healthy").filter({ hasText: /^1$/ }).waitFor();
    // The first Tab reaches the skip link, the next ones the pages.
    await page.keyboard.press("Tab");
    expect(await page.locator(":focus").textContent()).toBe("Skip to content");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.locator(":focus").textContent()).toBe("Overview");
    // While the overview is open: a job no worker can take waits in the queue, one fails.
    const submit = (spec: object) =>
      call<{ id: string }>("/jobs", { method: "POST", body: JSON.stringify(spec) });
    const stuck = await submit({
      name: "needs-a-gpu",
      command: { argv: ["true"] },
      resources: { gpus: 1 },
      priority: 800,
    });
    await submit({ name: "exits-3", command: { argv: ["sh", "-c", "exit 3"] } });
    await page.getByTestId("queued").filter({ hasText: /^1$/ }).waitFor();
    await page.getByRole("link", { name: "exits-3" }).waitFor();
    await shot(page, "overview");

    // Why it waits, in the scheduler's words; an admin cancels it.
    await page.goto(`${api}/#/jobs/${stuck.id}`);
    await page.getByTestId("why").filter({ hasText: /gpu/i }).waitFor();
    await shot(page, "job-waiting");
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator('h1 [data-state="cancelled"]').waitFor();

    // A job, submitted while the list is open: it appears, and its log arrives as it is written.
    await page.getByRole("link", { name: "Jobs", exact: true }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    const go = join(dir, "go");
    const script = `echo "first line"; while [ ! -f ${go} ]; do sleep 0.05; done; echo "second line"`;
    const job = await call<{ id: string }>("/jobs", {
      method: "POST",
      body: JSON.stringify({
        name: "live-job",
        queue: "builds",
        command: { argv: ["sh", "-c", script] },
      }),
    });
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await row.locator('[data-state="running"]').waitFor();
    await row.getByRole("cell", { name: "builds", exact: true }).waitFor();
    await shot(page, "jobs");
    await row.getByRole("link", { name: "live-job" }).click();
    const log = page.getByTestId("log");
    await log.getByText("first line").waitFor();
    expect(await log.getByText("second line").count()).toBe(0);
    await page.getByRole("button", { name: "Cancel" }).waitFor();
    writeFileSync(go, "");
    await log.getByText("second line").waitFor();
    // Search keeps the lines that match.
    await page.getByRole("searchbox").fill("second");
    await log.locator(".log-line").filter({ hasText: "first line" }).waitFor({ state: "detached" });
    expect(await log.locator(".log-line").allTextContents()).toEqual(["second line"]);
    await page.locator('h1 [data-state="succeeded"]').waitFor();
    await page.getByRole("button", { name: "Retry" }).waitFor();
    await shot(page, "job");
    await page.goBack();
    await row.locator('[data-state="succeeded"]').waitFor();

    // A run waiting for its signal: the DAG shows `deploy` waiting; the button moves it on.
    await page.getByRole("link", { name: "Pipelines" }).click();
    await page.getByRole("button", { name: "Start a run of gated" }).click();
    await page.waitForURL(/#\/runs\/\w+$/);
    const run = { id: new URL(page.url()).hash.split("/").pop()! };
    await page.locator('[data-step="build"][data-state="succeeded"]').waitFor();
    await page.locator('[data-step="deploy"][data-state="waiting"]').waitFor();
    await page.getByRole("button", { name: "Signal approve" }).waitFor();
    await shot(page, "run-waiting");
    await page.locator(".dag-card").screenshot({ path: join(shots, "run-dag.png") });
    // By keyboard: the signal button takes focus and Enter.
    await page.getByRole("button", { name: "Signal approve" }).focus();
    await page.keyboard.press("Enter");
    await page.locator('[data-step="deploy"][data-state="succeeded"]').waitFor();
    await page.locator('h1 [data-state="succeeded"]').waitFor();
    expect(await page.getByRole("button", { name: "Signal approve" }).count()).toBe(0);
    await shot(page, "run-done");

    await page.getByRole("link", { name: "Workers" }).click();
    await page.getByRole("button", { name: /^Drain / }).waitFor();
    await shot(page, "workers");
    await page.getByRole("link", { name: "Pipelines" }).click();
    await page.locator(`tr[data-run="${run.id}"] [data-state="succeeded"]`).waitFor();
    await shot(page, "pipelines");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByTestId("workers-healthy").waitFor();
    await shot(page, "overview-dark");
    await context.close();
    expect(problems).toEqual([]);
  });

  it("shows a read token no admin buttons", async () => {
    const { token } = await call<{ token: string }>("/tokens", {
      method: "POST",
      body: JSON.stringify({ role: "read", name: "dashboard-test" }),
    });
    const run = await call<{ id: string }>("/pipelines/gated/runs", { method: "POST", body: "{}" });
    const { jobs } = await call<{ jobs: Array<{ id: string }> }>("/jobs?state=succeeded&limit=1");
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage(), "read");
    await page.goto(dashboard);
    // The sign-in form, by keyboard: its field is labelled.
    await page.getByLabel("API token").fill(token);
    await page.keyboard.press("Enter");
    await page.getByTestId("role").filter({ hasText: "read" }).waitFor();

    await page.goto(`${api}/#/runs/${run.id}`);
    await page.locator('[data-step="deploy"][data-state="waiting"]').waitFor();
    await page.getByTestId("signals").waitFor();
    await shot(page, "read-run");
    await page.goto(`${api}/#/jobs/${jobs[0]!.id}`);
    await page.locator('h1 [data-state="succeeded"]').waitFor();
    await page.goto(`${api}/#/workers`);
    await page.locator("[data-worker]").first().waitFor();
    for (const name of [/^Signal/, /^Cancel/, /^Retry/, /^Drain/]) {
      expect(await page.getByRole("button", { name }).count(), String(name)).toBe(0);
    }
    // The run page again: still no signal or cancel button, though the run still waits.
    await page.goto(`${api}/#/runs/${run.id}`);
    await page.getByTestId("signals").waitFor();
    expect(await page.getByRole("button", { name: /^(Signal|Cancel)/ }).count()).toBe(0);
    await context.close();
    expect(problems).toEqual([]);
  });

  it("lets an admin drain a worker (signed in with the token typed in)", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage(), "admin");
    await page.goto(dashboard);
    await page.getByLabel("API token").fill(admin);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Workers" }).click();
    await page.getByRole("button", { name: "Drain local-1" }).click();
    // An idle agent that is drained leaves at once: the page follows it to offline.
    await page.locator('[data-worker="local-1"] h2 [data-state="offline"]').waitFor();
    expect(await page.getByRole("button", { name: /^Drain/ }).count()).toBe(0);
    await context.close();
    expect(problems).toEqual([]);
  });
});
