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
  /** Commits made so far: far fewer than requests under concurrency. */
  readonly commits: () => number;
}

interface Waiting<A, B> {
  readonly request: A;
  readonly resolve: (b: B) => void;
  readonly reject: (e: unknown) => void;
}

export const makeGroupCommit = <A, B>(
  commit: (requests: ReadonlyArray<A>) => Promise<ReadonlyArray<B>>,
  maxBatch: number,
): GroupCommit<A, B> => {
  let waiting: Array<Waiting<A, B>> = [];
  let inFlight = false;
  let scheduled = false;
  let commits = 0;

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
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
        flush();
      },
      (error: unknown) => {
        inFlight = false;
        for (const w of batch) w.reject(error);
        flush();
      },
    );
  };

  return {
    submit: (request) =>
      new Promise<B>((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        if (!inFlight && !scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
      }),
    commits: () => commits,
  };
};
