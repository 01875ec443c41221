/**
 * The scheduler's control states, pure. The placement work itself (ClusterState, queues) lives
 * in src/scheduler/; this machine only decides whether it may place jobs now.
 *
 * - `running`: places jobs whenever something changes.
 * - `paused`: keeps accepting jobs, heartbeats and releases, places nothing (an operator's
 *   pause, e.g. during maintenance).
 * - `draining`: the supervisor is shutting down; nothing new is placed, ever. Final.
 */
import { setup } from "xstate";

export type SchedulerControl =
  { readonly type: "pause" } | { readonly type: "resume" } | { readonly type: "drain" };

export const schedulerMachine = setup({
  types: { events: {} as SchedulerControl },
}).createMachine({
  id: "scheduler",
  initial: "running",
  states: {
    running: { on: { pause: "paused", drain: "draining" } },
    paused: { on: { resume: "running", drain: "draining" } },
    draining: { type: "final" },
  },
});

export type SchedulerMachine = typeof schedulerMachine;
