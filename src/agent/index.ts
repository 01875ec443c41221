/**
 * The Hodei worker agent. Embedded in a program to serve handler jobs:
 *
 *   const worker = createWorker({
 *     url: "127.0.0.1:50051",
 *     token: process.env.HODEI_WORKER_TOKEN!,
 *     handlers: { "resize-image": async (input, ctx) => { ctx.log("resizing"); return { ok: true } } },
 *   });
 *   process.on("SIGTERM", () => void worker.drain());
 *
 * or run as `hodei worker` (see run.ts) to serve command jobs as well.
 */
export { createWorker, type Worker } from "./worker.ts";
export { runWorker, type RunWorkerOptions } from "./run.ts";
export { AgentRefused } from "./agent-refused.ts";
export type { WorkerOptions } from "./options.ts";
export type { JobContext, JobHandler } from "./handler-job.ts";
export type { ClientTlsOptions } from "./client.ts";
export type { BackoffOptions } from "./backoff.ts";
export type { LogBatchOptions } from "./log-shipper.ts";
export type { WorkerEvent, WorkerEventListener } from "./events.ts";
