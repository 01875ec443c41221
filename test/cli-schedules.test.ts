/**
 * `hodei schedules` as a user runs it, against `hodei serve` (a process, LMDB in a temp dir):
 * create from flags and from a file, list, get (next times), pause, resume, trigger, delete,
 * with their exit codes; a bad cron or time zone exits 2 naming the field and creates nothing,
 * an unknown name exits with the not-found code. And `submit --delay|--run-at`: a delayed job.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hodei, serve, stopAll, tempDir } from "./fixtures/cli-harness.ts";

let api: string;
let dir: string;

beforeAll(async () => {
  dir = tempDir("hodei-cli-schedules-");
  api = (await serve(join(dir, "data"))).api;
}, 60_000);
afterAll(stopAll);

const json = <A>(r: { stdout: string; stderr: string; status: number | null }): A => {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as A;
};

describe("hodei schedules", () => {
  it("refuses a bad cron or time zone with exit 2, naming the field; nothing is created", () => {
    const badCron = hodei(
      api,
      "schedules",
      "create",
      "x",
      "--cron",
      "61 * * * *",
      "--command",
      "true",
    );
    expect(badCron.status).toBe(2);
    expect(badCron.stderr).toMatch(/cron: .*61/);
    const badZone = hodei(
      api,
      ...["schedules", "create", "x", "--cron", "* * * * *", "--timezone", "Nowhere/Land"],
      ...["--command", "true"],
    );
    expect(badZone.status).toBe(2);
    expect(badZone.stderr).toMatch(/timezone: .*Nowhere\/Land/);
    expect(hodei(api, "schedules", "create", "x", "--command", "true").status).toBe(2);
    expect(json<{ schedules: unknown[] }>(hodei(api, "schedules", "--json")).schedules).toEqual([]);
    const missing = hodei(api, "schedules", "get", "nope");
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/schedule nope not found/);
  });

  it("creates, lists, shows, pauses, resumes, triggers and deletes", () => {
    const created = hodei(
      api,
      ...["schedules", "create", "hourly-report", "--cron", "0 * * * *"],
      ...["--timezone", "Europe/Madrid", "--command", "echo report", "--catch-up", "none"],
    );
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(
      /^created hourly-report +active +0 \* \* \* \* \(Europe\/Madrid\)/,
    );
    const file = join(dir, "nightly.yaml");
    writeFileSync(
      file,
      "name: nightly\ncron: '0 3 * * *'\njob:\n  name: nightly\n  command: { argv: ['true'] }\noverlap: allow\n",
    );
    expect(hodei(api, "schedules", "create", "--file", file).status).toBe(0);
    const again = hodei(api, "schedules", "create", "--file", file);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);

    const list = hodei(api, "schedules");
    expect(
      list.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["hourly-report", "nightly"]);
    const shown = json<{ next: string[]; spec: { catchUp: string } }>(
      hodei(api, "schedules", "get", "hourly-report", "--json"),
    );
    expect(shown.spec.catchUp).toBe("none");
    expect(shown.next).toHaveLength(5);
    for (const t of shown.next) expect(t).toMatch(/T\d\d:00:00\.000Z$/);

    expect(hodei(api, "schedules", "pause", "nightly").stdout).toMatch(/^paused nightly +paused/);
    expect(
      json<{ next: string[] }>(hodei(api, "schedules", "get", "nightly", "--json")).next,
    ).toEqual([]);
    expect(hodei(api, "schedules", "resume", "nightly").stdout).toMatch(/^resumed nightly +active/);

    const fired = json<{ outcome: string; last: { kind: string; id: string } }>(
      hodei(api, "schedules", "trigger", "nightly", "--json"),
    );
    expect([fired.outcome, fired.last.kind]).toEqual(["fired", "job"]);
    const job = json<{ spec: { idempotencyKey: string } }>(
      hodei(api, "jobs", "get", fired.last.id, "--json"),
    );
    expect(job.spec.idempotencyKey).toMatch(/^schedule\/nightly\/\d{4}-/);

    expect(hodei(api, "schedules", "delete", "nightly").stdout).toBe("deleted nightly\n");
    expect(hodei(api, "schedules", "get", "nightly").status).not.toBe(0);
  });

  it("submits a delayed job with --delay or --run-at; a bad time exits 2 naming the flag", () => {
    const later = json<{ state: string; id: string }>(
      hodei(api, "submit", "--command", "true", "--delay", "3600000", "--json"),
    );
    expect(later.state).toBe("delayed");
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const timed = json<{ state: string; spec: { runAt: string } }>(
      hodei(api, "submit", "--command", "true", "--run-at", at, "--json"),
    );
    expect([timed.state, timed.spec.runAt]).toEqual(["delayed", at]);
    const bad = hodei(api, "submit", "--command", "true", "--run-at", "tomorrow");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--run-at: Expected an RFC 3339/);
    const both = hodei(api, "submit", "--command", "true", "--run-at", at, "--delay", "5");
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--delay: give runAt or delayMs, not both/);
  });
});
