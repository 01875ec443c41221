/**
 * How an attempt ended, as its agent reports it: the one shape the agent, the wire codec and the
 * supervisor share (the agent imports nothing of the supervisor).
 */
export type Outcome =
  | { readonly kind: "succeeded"; readonly exitCode?: number; readonly output?: unknown }
  | { readonly kind: "failed"; readonly exitCode?: number; readonly error: string }
  | { readonly kind: "timed_out" }
  | { readonly kind: "cancelled" }
  /** The agent will not run it (draining, no room): place it elsewhere. */
  | { readonly kind: "rejected"; readonly reason: string };
