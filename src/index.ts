/**
 * Hodei's library API: what a program embedding Hodei imports from "hodei".
 * - agents serving handler jobs (`createWorker`, `runWorker`);
 * - the supervisor, whole (`startSupervisor`) or as its transport-free core;
 * - the domain schemas (JobSpec and friends) and their decoders.
 */
export { createWorker, runWorker, AgentRefused } from "./agent/index.ts";
export type { Worker, WorkerOptions, JobContext, JobHandler } from "./agent/index.ts";
export { loadConfig, type HodeiConfig } from "./config.ts";
export * from "./domain/index.ts";
export { makeSupervisorCore, type SupervisorCore } from "./supervisor/core.ts";
export { startSupervisor, runSupervisor, type RunningSupervisor } from "./supervisor/process.ts";
export { makeLogger, type Logger } from "./supervisor/logger.ts";
export { serveHttp, makeHttpApi, openApiDocument } from "./api/index.ts";
export { attachMetrics } from "./metrics/index.ts";
