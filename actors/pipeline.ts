/**
 * The pipeline actor: one run of a pipeline. It holds the pipeline's own machine as data and
 * steps it (see pipeline-run.ts); it performs no I/O, and what the world must do (submit a
 * step's job, cancel one, record the run) is emitted as a PipelineEffect for the runtime to
 * carry out after the commit.
 *
 * States: `running`, then one of the final `succeeded`, `failed`, `cancelled`. The run's only
 * timer is its machine's next delayed event (`after`), kept as the absolute `deadline`.
 *
 * The machine depends on where pipelines are registered, so it is made for a resolver; its
 * definition (and so its version) is the same whatever the resolver.
 */
import { enqueueActions, setup } from "xstate";
import type { PipelineEffect, PipelineMessage } from "./pipeline-messages.ts";
import {
  begin,
  initialContext,
  reduce,
  type PipelineContext,
  type PipelineInput,
  type PipelineResolver,
  type Reduced,
} from "./pipeline-run.ts";

export type { PipelineEffect, PipelineMessage } from "./pipeline-messages.ts";
export type { PipelineContext, PipelineInput, PipelineResolver } from "./pipeline-run.ts";

export const makePipelineMachine = (resolve: PipelineResolver) =>
  setup({
    types: {
      context: {} as PipelineContext,
      events: {} as PipelineMessage,
      input: {} as PipelineInput,
      emitted: {} as PipelineEffect,
    },
    actions: {
      begin: enqueueActions(({ context, enqueue }) => {
        perform(enqueue, begin(resolve, context, context.startedAt));
      }),
      advance: enqueueActions(({ context, event, enqueue }) => {
        const r = reduce(resolve, context, event);
        if (r !== undefined) perform(enqueue, r);
      }),
    },
    guards: {
      succeeded: ({ context }) => context.outcome === "succeeded",
      failed: ({ context }) => context.outcome === "failed",
      cancelled: ({ context }) => context.outcome === "cancelled",
    },
  }).createMachine({
    id: "pipeline",
    context: ({ input }) => initialContext(input),
    initial: "running",
    states: {
      running: {
        entry: "begin",
        on: { "*": { actions: "advance" } },
        always: [
          { guard: "succeeded", target: "succeeded" },
          { guard: "failed", target: "failed" },
          { guard: "cancelled", target: "cancelled" },
        ],
      },
      succeeded: { type: "final" },
      failed: { type: "final" },
      cancelled: { type: "final" },
    },
  });

type Enqueue = {
  assign: (c: Partial<PipelineContext>) => void;
  emit: (e: PipelineEffect) => void;
};

const perform = (enqueue: unknown, r: Reduced) => {
  const q = enqueue as Enqueue;
  q.assign(r.context);
  for (const e of r.effects) q.emit(e);
};

export type PipelineMachine = ReturnType<typeof makePipelineMachine>;
