/**
 * The process's own metrics (CPU, memory, file descriptors, event loop lag, heap, GC), as
 * prom-client collects them, on Hodei's registry.
 *
 * Three of prom-client's are gauges named `…_total` (`nodejs_active_handles_total`,
 * `nodejs_active_requests_total`, `nodejs_active_resources_total`), which `promtool check
 * metrics` refuses; each is the sum of its unsuffixed sibling by `type` (`nodejs_active_handles`
 * …), which stays, so nothing is lost by leaving them out.
 */
import { collectDefaultMetrics, type Registry } from "prom-client";

const refusedByPromtool = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export const collectProcessMetrics = (registry: Registry): void => {
  collectDefaultMetrics({ register: registry });
  for (const name of refusedByPromtool) registry.removeSingleMetric(name);
};
