/**
 * Hodei's library API: what a program embedding Hodei imports from "hodei".
 * - pipelines: the DAG builder (`pipeline`), hand-written machines (`fromMachine` + `runJob`),
 *   declarative documents (`parsePipelineDocument`);
 * - the supervisor in an application (`createSupervisor`);
 * - agents serving handler jobs (`createWorker`, `runWorker`);
 * - the supervisor, whole (`startSupervisor`) or as its transport-free core;
 * - the domain schemas (JobSpec and friends) and their decoders.
 */
export {
  pipeline,
  type PipelineBuilder,
  type StepConfig,
  type StepContext,
} from "./pipeline/dag.ts";
export { fromMachine, isPipeline, type Pipeline } from "./pipeline/pipeline.ts";
export { runJob, type RunJobInput, type StepError, type StepOutput } from "./pipeline/run-job.ts";
export { parsePipelineDocument, compileDefinition } from "./pipeline/declarative.ts";
export {
  createSupervisor,
  type CreateSupervisorOptions,
  type EmbeddedSupervisor,
} from "./embed.ts";
export type { PipelineRun, RunStep } from "./persistence/pipelines.ts";
export { createWorker, runWorker, AgentRefused } from "./agent/index.ts";
export type { Worker, WorkerOptions, JobContext, JobHandler } from "./agent/index.ts";
export { loadConfig, type HodeiConfig } from "./config.ts";
export * from "./domain/index.ts";
export { makeSupervisorCore, type SupervisorCore } from "./supervisor/core.ts";
export { startSupervisor, runSupervisor, type RunningSupervisor } from "./supervisor/process.ts";
export { makeLogger, type Logger } from "./supervisor/logger.ts";
export { serveHttp, makeHttpApi, openApiDocument } from "./api/index.ts";
export { attachMetrics } from "./metrics/index.ts";
