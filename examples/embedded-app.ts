/**
 * An application embedding the supervisor and a handler agent in one program: it starts the
 * supervisor with its pipelines (on LMDB in `dataDir`), connects an agent that serves the
 * data pipeline's handlers over the worker protocol on loopback, runs the pipeline and waits
 * for it.
 *
 *   npx tsx examples/embedded-app.ts        # prints the run, its steps and the report
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSupervisor, createWorker, type PipelineRun } from "../src/index.ts";
import { etl } from "./data-pipeline.ts";

const rowsPerShard = (table: string, shard: number) => (table.length * 100 + shard) % 1000;

export const runEmbedded = async (dataDir: string, table = "orders"): Promise<PipelineRun> => {
  const supervisor = await createSupervisor({
    pipelines: [etl],
    settings: { dataDir },
    http: false,
  });
  const worker = createWorker({
    url: supervisor.grpcAddress,
    token: supervisor.workerToken,
    name: "etl-agent",
    concurrency: 4,
    handlers: {
      extract: (input) => ({ rows: 4 * 1000, table: (input as { table: string }).table }),
      transform: (input, ctx) => {
        const { shard } = input as { shard: number };
        ctx.log(`transforming shard ${shard}`);
        return { rows: rowsPerShard(table, shard) };
      },
      load: (input) => ({
        rows: (input as { shards: number[] }).shards.reduce((a, b) => a + b, 0),
      }),
      report: (input) => ({ summary: `loaded ${(input as { loaded: number }).loaded} rows` }),
    },
  });
  try {
    await worker.connected();
    const run = await supervisor.startRun("etl", { table });
    return await supervisor.waitForRun(run.id);
  } finally {
    await worker.stop();
    await supervisor.close();
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "hodei-embedded-"));
  try {
    const run = await runEmbedded(dir);
    console.log(`run ${run.id}: ${run.state}`);
    for (const s of run.steps ?? []) console.log(`  ${s.name.padEnd(12)} ${s.state}`);
    console.log(JSON.stringify(run.output));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
