/**
 * The domain: ids, schemas and errors shared by every part of Hodei. It imports nothing else of
 * the project, so actors, adapters and tests can all depend on it without cycles.
 */
export * from "./constraint.ts";
export * from "./decode.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./job-spec.ts";
export * from "./job-state.ts";
export * from "./job.ts";
export * from "./json.ts";
export * from "./pipeline.ts";
export * from "./primitives.ts";
export * from "./priority.ts";
export * from "./retry.ts";
export * from "./work.ts";
export * from "./worker.ts";
