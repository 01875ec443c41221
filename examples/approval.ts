/**
 * An approval flow written as a plain XState machine: build, then wait for a person. The run
 * waits in `awaitingApproval` until a signal arrives —
 *
 *   hodei signal <runId> approve --data '{"by":"ana"}'     (or POST /api/v1/runs/:id/signal)
 *
 * — `approve` deploys, `reject` ends the run failed with the reason, and no answer within a day
 * (`after`, on the supervisor's clock, durable across restarts) ends it failed too. A failed
 * build is retried once by the machine itself (a loop the DAG builder cannot say).
 */
import { assign, setup } from "xstate";
import { fromMachine, runJob } from "../src/index.ts";

const day = 24 * 60 * 60_000;

export const approvalMachine = setup({
  types: {
    context: {} as { builds: number; approvedBy: string | null; reason: string | null },
    events: {} as { type: "approve"; by: string } | { type: "reject"; why?: string },
  },
  actors: { runJob },
}).createMachine({
  id: "release",
  context: { builds: 0, approvedBy: null, reason: null },
  initial: "building",
  states: {
    building: {
      entry: assign({ builds: ({ context }) => context.builds + 1 }),
      invoke: {
        id: "build",
        src: "runJob",
        input: { command: { shell: "echo building the release" } },
        onDone: "awaitingApproval",
        onError: [
          { guard: ({ context }) => context.builds < 2, target: "building", reenter: true },
          { target: "failed", actions: assign({ reason: "the build failed twice" }) },
        ],
      },
    },
    awaitingApproval: {
      on: {
        approve: { target: "deploying", actions: assign({ approvedBy: ({ event }) => event.by }) },
        reject: {
          target: "failed",
          actions: assign({ reason: ({ event }) => `rejected: ${event.why ?? "no reason given"}` }),
        },
      },
      after: {
        [day]: { target: "failed", actions: assign({ reason: "no approval within a day" }) },
      },
    },
    deploying: {
      invoke: {
        id: "deploy",
        src: "runJob",
        input: { command: { shell: "echo deploying the release" } },
        onDone: "released",
        onError: { target: "failed", actions: assign({ reason: "the deploy failed" }) },
      },
    },
    released: { type: "final" },
    failed: { type: "final" },
  },
  output: ({ context }) => ({ approvedBy: context.approvedBy, reason: context.reason }),
});

export const approval = fromMachine("release", approvalMachine);
