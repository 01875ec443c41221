/**
 * Templates never become code, end to end: an embedded supervisor (LMDB, its HTTP API with the
 * admin token of its first start) and a real agent running real commands. A declarative
 * pipeline with `${{ ... }}` in a shell command is refused, pointing to env and argv; through
 * env and argv, inputs holding `$(...)`, backticks, `;`, quotes and newlines arrive as the
 * exact bytes they were, and nothing in them runs.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorker, type Worker } from "../src/agent/index.ts";
import { createSupervisor, type EmbeddedSupervisor } from "../src/embed.ts";
import { tempDir } from "./fixtures/persistence-adapters.ts";

let sup: EmbeddedSupervisor;
let agent: Worker;
let dir: string;
let api: (path: string, body: unknown) => Promise<{ status: number; body: any }>;

beforeAll(async () => {
  dir = tempDir();
  sup = await createSupervisor({ settings: { dataDir: dir } });
  agent = createWorker({ url: sup.grpcAddress, token: sup.workerToken, name: "runner" });
  await agent.connected();
  const token = readFileSync(join(dir, "api-token"), "utf8").trim();
  api = async (path, body) => {
    const res = await fetch(`http://${sup.httpAddress}/api/v1${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await sup?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hostile = [
  "$(echo INJECTED)",
  "`echo INJECTED`",
  "x; echo INJECTED",
  `"double" 'single' \\"escaped\\"`,
  "first line\nsecond $(echo INJECTED) line",
  "${PATH} $HOME && echo INJECTED || echo INJECTED",
];

describe("templates in pipelines", () => {
  it("refuses a template in a shell command, pointing to env and argv", async () => {
    const r = await api("/pipelines", {
      name: "unsafe",
      steps: [
        { name: "greet", job: { name: "greet", command: { shell: "echo ${{ input.who }}" } } },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([
      {
        path: "steps.0.job.command.shell",
        message: expect.stringMatching(
          /would run its value as shell code: pass it in env \(env: \{ WHO: "\$\{\{ input\.who \}\}" \}, then "\$WHO" in the command\) or use argv/,
        ),
      },
    ]);
    expect(sup.core.registry.get("unsafe")).toBeUndefined();
  });

  it(
    "hands hostile input to commands as data, through env and argv",
    { timeout: 60_000 },
    async () => {
      const defined = await api("/pipelines", {
        name: "safe",
        failFast: false,
        steps: [
          {
            name: "via-env",
            job: {
              name: "via-env",
              command: { shell: 'printf "%s\\n" "$VALUE"', env: { VALUE: "${{ input.value }}" } },
            },
          },
          {
            name: "via-argv",
            job: { name: "via-argv", command: { argv: ["printf", "%s\\n", "${{ input.value }}"] } },
          },
        ],
      });
      expect(defined.status).toBe(201);
      for (const value of hostile) {
        const started = await api("/pipelines/safe/runs", { input: { value } });
        expect(started.status).toBe(201);
        const run = await sup.waitForRun(started.body.id);
        expect(run.state, value).toBe("succeeded");
        for (const step of ["via-env", "via-argv"]) {
          const page = await Effect.runPromise(sup.core.store.logs.read(run.jobs[step]!));
          const lines = page.chunks.filter((c) => c.stream === "stdout").map((c) => c.data);
          expect(lines, `${step}: ${value}`).toEqual(value.split("\n"));
        }
      }
    },
  );
});
