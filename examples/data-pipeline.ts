/**
 * A data pipeline with fan-out and fan-in, run by handler jobs (see embedded-app.ts for the
 * agent that serves them): `extract` lists the partitions, four `transform` shards run in
 * parallel, `load` waits for all of them and `report` needs both `extract` and `load` (a shared
 * dependency: a DAG, not a tree).
 */
import { pipeline } from "../src/index.ts";

export const etl = pipeline<{ readonly table: string }>("etl", { failFast: false })
  .step("extract", {
    job: ({ input }) => ({ handler: { name: "extract", input: { table: input.table } } }),
  })
  .matrix("transform", { shard: [0, 1, 2, 3] }, ({ shard }) => ({
    needs: ["extract"],
    job: ({ outputs }) => ({
      handler: { name: "transform", input: { shard, rows: outputs["extract"]?.["rows"] ?? 0 } },
    }),
  }))
  .step("load", {
    needs: ["transform"],
    job: ({ outputs }) => ({
      handler: {
        name: "load",
        input: {
          shards: [0, 1, 2, 3].map((s) => outputs[`transform-${s}`]?.["rows"] ?? 0),
        },
      },
    }),
  })
  .step("report", {
    needs: ["extract", "load"],
    job: ({ outputs }) => ({
      handler: {
        name: "report",
        input: {
          extracted: outputs["extract"]?.["rows"] ?? null,
          loaded: outputs["load"]?.["rows"] ?? null,
        },
      },
    }),
  });
