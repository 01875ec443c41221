/**
 * Single submits arriving together go to the core as one batch: the HTTP side of group commit.
 *
 * Under load, dozens of `POST /jobs` are parsed in one turn of the event loop; handing them to
 * `core.submitBatch` together costs one decode pass, one store transaction (one flush) and one
 * scheduler wake-up instead of one each, and every request is still answered only once its job
 * is durable, with its own job. While a batch is committing, new submits wait and go in the
 * next one, so batches grow with the load and a lone request waits for one commit at most.
 *
 * The batch is all-or-nothing in the core: if any spec in it is invalid the core refuses the
 * whole batch, and then each request is submitted on its own, so that every client gets its own
 * answer (the invalid ones their 400, the others their job). Repeated idempotency keys inside
 * one batch are the store's to resolve, as for concurrent single creates.
 */
import { Cause, Effect, Exit } from "effect";
import type { InvalidInput } from "../domain/errors.ts";
import type { CreateResult, StoreError } from "../persistence/index.ts";
import type { SupervisorCore } from "../supervisor/core.ts";

type Result = Exit.Exit<CreateResult, InvalidInput | StoreError>;

interface Waiting {
  readonly spec: unknown;
  readonly done: (result: Result) => void;
}

/** Batches at most this many: the same bound as `POST /jobs/batch`. */
const maxBatch = 1000;
/** Batches in the core at once: one committing while the next is decoded and spawned. */
const maxInFlight = 2;
/** The specs are request bodies: parsed JSON (see `SubmitOptions`). */
const parsed = { parsed: true } as const;

export const makeSubmitCoalescer = (core: SupervisorCore) => {
  let waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const alone = (w: Waiting) => core.submitNow(w.spec, parsed, w.done);

  const flush = (): void => {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.length <= maxBatch ? waiting : waiting.slice(0, maxBatch);
      waiting = batch === waiting ? [] : waiting.slice(maxBatch);
      if (batch.length === 1) {
        alone(batch[0]!);
        continue;
      }
      inFlight++;
      const specs = batch.map((w) => w.spec);
      Effect.runCallback(core.submitBatch(specs, parsed), {
        onExit: (exit) => {
          inFlight--;
          if (Exit.isSuccess(exit)) {
            for (let i = 0; i < batch.length; i++) batch[i]!.done(Exit.succeed(exit.value[i]!));
          } else if (Exit.isFailure(exit) && isInvalid(exit)) {
            for (const w of batch) alone(w);
          } else {
            for (const w of batch) w.done(exit as unknown as Result);
          }
          flush();
        },
      });
    }
  };

  return (spec: unknown): Effect.Effect<CreateResult, InvalidInput | StoreError> =>
    Effect.async<CreateResult, InvalidInput | StoreError>((resume) => {
      waiting.push({ spec, done: (exit) => resume(exit) });
      if (!scheduled && inFlight < maxInFlight) {
        scheduled = true;
        setImmediate(flush);
      }
    });
};

const isInvalid = (exit: Exit.Failure<unknown, InvalidInput | StoreError>): boolean => {
  const failure = Cause.failureOption(exit.cause);
  return failure._tag === "Some" && failure.value._tag === "InvalidInput";
};
