export * from "./cluster-state.ts";
export * from "./explain.ts";
export * from "./job-queue.ts";
export * from "./messages.ts";
export * from "./placement.ts";
export * from "./scheduler.ts";
