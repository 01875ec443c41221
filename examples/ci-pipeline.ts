/**
 * A CI pipeline: build once, test on a matrix of Node versions, deploy only from `main`.
 *
 *   hodei serve --local-workers 2 --pipelines examples/ci-pipeline.ts
 *   hodei run ci --input '{"branch":"main","sha":"abc123"}'
 *
 * `build` publishes an output (`artifact`) with the command output protocol: a line
 * `::hodei-output artifact=<value>` on stdout. `deploy` reads it in its job, and its `when`
 * reads the run's input: on another branch it is skipped and the run still succeeds.
 */
import { pipeline } from "../src/index.ts";

export interface CiInput {
  readonly branch: string;
  readonly sha: string;
}

export const ci = pipeline<CiInput>("ci")
  .step("build", {
    job: ({ input }) => ({
      command: {
        shell: `echo building ${input.sha}; echo "::hodei-output artifact=app-${input.sha}.tgz"`,
      },
      timeoutMs: 10 * 60_000,
    }),
  })
  .matrix("test", { node: ["20", "22"] }, ({ node }) => ({
    needs: ["build"],
    command: { shell: 'echo "testing on node $NODE_VERSION"', env: { NODE_VERSION: node } },
    retry: { maxAttempts: 2, initialDelayMs: 100 },
  }))
  .step("deploy", {
    needs: ["test"],
    when: ({ input }) => input.branch === "main",
    job: ({ outputs }) => ({
      command: { argv: ["echo", "deploying", String(outputs["build"]?.["artifact"])] },
    }),
  });
