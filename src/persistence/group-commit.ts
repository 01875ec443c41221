/**
 * Group commit: many writers, one transaction.
 *
 * Writers call `submit` and wait. Requests made in the same synchronous run are committed
 * together once it ends (a microtask: a lone writer does not wait for the event loop to go
 * round); requests made while a commit is in flight wait for it and are
 * committed together right after. Under load, a commit takes everything that arrived during
 * the previous one, so throughput grows with the load instead of collapsing to one fsync per
 * write, and a lone writer still waits no more than one commit.
 *
 * Each writer's promise settles after the commit that holds its request: with its own result,
 * or with the commit's error (the whole batch failed, nothing of it is durable).
 */
export interface GroupCommit<A, B> {
  readonly submit: (request: A) => Promise<B>;
  /** `submit` with callbacks instead of a promise: no promise (nor a turn) per writer. */
  readonly submitNow: (request: A, resolve: (b: B) => void, reject: (e: unknown) => void) => void;
  /** Commits made so far: far fewer than requests under concurrency. */
  readonly commits: () => number;
}

interface Waiting<A, B> {
  readonly request: A;
  readonly resolve: (b: B) => void;
  readonly reject: (e: unknown) => void;
}

/** A writer's callback threw: a defect, thrown where nothing catches it. */
const throwLater = (error: unknown): void =>
  queueMicrotask(() => {
    throw error;
  });

export const makeGroupCommit = <A, B>(
  commit: (requests: ReadonlyArray<A>) => Promise<ReadonlyArray<B>>,
  maxBatch: number,
  onDefect: (error: unknown) => void = throwLater,
): GroupCommit<A, B> => {
  let waiting: Array<Waiting<A, B>> = [];
  let inFlight = false;
  let scheduled = false;
  let commits = 0;

  /**
   * Tells every writer of a batch, then goes on with the next: a writer's callback that throws
   * (`submitNow`'s are plain callbacks) neither keeps the others waiting nor stops the commits.
   * What it threw goes to `onDefect`.
   */
  const settle = (
    batch: ReadonlyArray<Waiting<A, B>>,
    tell: (w: Waiting<A, B>, i: number) => void,
  ) => {
    for (let i = 0; i < batch.length; i++) {
      try {
        tell(batch[i]!, i);
      } catch (error) {
        onDefect(error);
      }
    }
    flush();
  };

  const flush = (): void => {
    scheduled = false;
    if (inFlight || waiting.length === 0) return;
    const batch = waiting.length <= maxBatch ? waiting : waiting.slice(0, maxBatch);
    waiting = batch === waiting ? [] : waiting.slice(maxBatch);
    inFlight = true;
    commits++;
    commit(batch.map((w) => w.request)).then(
      (results) => {
        inFlight = false;
        settle(batch, (w, i) => w.resolve(results[i]!));
      },
      (error: unknown) => {
        inFlight = false;
        settle(batch, (w) => w.reject(error));
      },
    );
  };

  const submitNow = (request: A, resolve: (b: B) => void, reject: (e: unknown) => void): void => {
    waiting.push({ request, resolve, reject });
    if (!inFlight && !scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  return {
    submit: (request) => new Promise<B>((resolve, reject) => submitNow(request, resolve, reject)),
    submitNow,
    commits: () => commits,
  };
};
