/** Prometheus metrics: every one declared in metrics.ts, hooked to a live core by live.ts. */
export { attachMetrics } from "./live.ts";
export { makeHodeiMetrics } from "./metrics.ts";
export type { HodeiMetrics, MetricsOptions, MetricsSource } from "./metrics.ts";
