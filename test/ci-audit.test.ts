/**
 * `npm run audit` (.ci/audit) decides from what `npm audit` says, with a stand-in `npm` first
 * on the PATH: a high advisory fails with npm's report; an audit endpoint that does not answer
 * is one line and a pass; a clean audit passes; an advisory whose text mentions a network
 * error is still a failure (only npm's own error lines count as "did not answer").
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** Runs .ci/audit with an `npm` that prints `output` and exits `code`. */
const audit = (output: string, code: number) => {
  const dir = mkdtempSync(join(tmpdir(), "hodei-audit-"));
  dirs.push(dir);
  const npm = join(dir, "npm");
  writeFileSync(npm, `#!/usr/bin/env bash\ncat <<'OUT' >&2\n${output}\nOUT\nexit ${code}\n`);
  chmodSync(npm, 0o755);
  const r = spawnSync(".ci/audit", {
    encoding: "utf8",
    env: { ...process.env, PATH: `${dir}:${process.env["PATH"]}` },
  });
  return { status: r.status, out: r.stdout + r.stderr };
};

describe("npm run audit", () => {
  it("fails on a high advisory, with npm's report", () => {
    const report =
      "lodash  <4.17.21\nSeverity: high\nPrototype Pollution\n1 high severity vulnerability";
    const r = audit(report, 1);
    expect(r.status).toBe(1);
    expect(r.out).toContain("Prototype Pollution");
  });

  it("passes, saying so in one line, when the audit endpoint does not answer", () => {
    const r = audit(
      "npm warn audit 405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk\nnpm error audit endpoint returned an error",
      1,
    );
    expect(r.status).toBe(0);
    expect(r.out.trim().split("\n")).toEqual([
      "npm audit: the registry's audit endpoint did not answer; dependencies not audited this run",
    ]);
    expect(audit("npm error code ENOTFOUND\nnpm error network request failed", 1).status).toBe(0);
  });

  it("passes a clean audit, and does not mistake an advisory's words for a network error", () => {
    expect(audit("found 0 vulnerabilities", 0).status).toBe(0);
    const sneaky = "undici  <5\nSeverity: critical\nECONNREFUSED handling allows request smuggling";
    expect(audit(sneaky, 1).status).toBe(1);
  });
});
