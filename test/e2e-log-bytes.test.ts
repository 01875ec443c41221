/**
 * Any bytes a command prints, end to end on PostgreSQL (whose text columns refuse NUL): a job
 * printing a NUL byte and invalid UTF-8, run by a real agent for a real `hodei serve`, reaches
 * `succeeded`, and its log reads back in the documented escaped form (domain/log-text.ts),
 * from which the exact bytes come back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { logLineBytes } from "../src/domain/log-text.ts";
import { startAgent } from "./fixtures/e2e-harness.ts";
import {
  dropSchema,
  pgUrl,
  requirePostgres,
  uniqueSchema,
} from "./fixtures/persistence-adapters.ts";
import { apiFetch, serveProcess } from "./fixtures/serve-process.ts";

const token = "bytes-token";
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("any bytes in a log, end to end", () => {
  it(
    "PostgreSQL: NUL and invalid UTF-8 succeed and read back escaped",
    { timeout: 90_000 },
    async () => {
      await requirePostgres();
      const schema = uniqueSchema();
      cleanups.push(() => dropSchema(schema));
      const server = serveProcess(["--database-url", pgUrl, "--database-schema", schema], {
        env: { HODEI_WORKER_TOKEN: token },
      });
      cleanups.push(() => server.kill());
      const { api, grpc } = await server.started;
      const agent = startAgent(grpc, token);
      cleanups.push(() => {
        agent.process.kill("SIGKILL");
        return agent.exited;
      });

      const submitted = await apiFetch(`${api}/api/v1/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "bytes",
          command: { shell: "printf 'a\\000b\\377c\\n'; printf 'caf\\303\\251 \\\\x41\\n'" },
        }),
      });
      expect(submitted.status).toBe(201);
      const { id } = (await submitted.json()) as { id: string };
      const deadline = Date.now() + 60_000;
      let state = "";
      while (state !== "succeeded") {
        expect(Date.now()).toBeLessThan(deadline);
        state = ((await (await apiFetch(`${api}/api/v1/jobs/${id}`)).json()) as { state: string })
          .state;
        expect(["queued", "scheduled", "running", "succeeded"]).toContain(state);
        await new Promise((r) => setTimeout(r, 50));
      }
      const page = (await (await apiFetch(`${api}/api/v1/jobs/${id}/logs`)).json()) as {
        chunks: Array<{ data: string }>;
      };
      expect(page.chunks.map((c) => c.data)).toEqual(["a\\x00b\\xffc", "café \\x5cx41"]);
      expect(logLineBytes(page.chunks[0]!.data)).toEqual(Buffer.from([0x61, 0, 0x62, 0xff, 0x63]));
      expect(logLineBytes(page.chunks[1]!.data).toString()).toBe("café \\x41");
    },
  );
});
