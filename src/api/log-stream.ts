/**
 * Following a job's log as Server-Sent Events: the lines already stored, then live ones, then
 * an `end` event once the job is final.
 *
 * The store is the truth and the bus only a shortcut: a follower subscribes (through the one
 * shared subscription per topic this hub keeps) before it reads the store, sends what the store
 * has, then forwards live chunks in `seq` order. Whenever it cannot be sure it has everything —
 * a gap in the live `seq`s (the topic dropped messages), a client too slow to take more
 * (`res.write` buffering), the job becoming final — it reads the store again from the next
 * `seq` it owes. So a slow client costs the server at most its socket buffer, and a line is
 * never skipped or sent twice.
 *
 * Events: `log` (id = seq, data = a LogChunk as JSON), `end` (data = `{ "state" }`), and a
 * comment every `heartbeatMs` while idle. `Last-Event-ID` resumes after that seq.
 */
import { Effect, type Scope } from "effect";
import type { ServerResponse } from "node:http";
import type { Subscription } from "../bus/index.ts";
import { isTerminalJobState, type JobState } from "../domain/job-state.ts";
import type { LogChunk } from "../persistence/logs.ts";
import type { SupervisorCore } from "../supervisor/core.ts";
import { jobEvents, logEvents } from "../supervisor/topics.ts";

/** A catch-up reads the store in slices of this many chunks and about this many bytes. */
const pageSize = 1000;
const pageBytes = 256 * 1024;

interface Follower {
  readonly jobId: string;
  readonly res: ServerResponse;
  /** The seq owed next. */
  next: number;
  /** A store read is running; live chunks only mark the follower stale meanwhile. */
  reading: boolean;
  /** Bumped per read, so that only the latest read's end decides what follows. */
  read: number;
  /** The socket buffer is full: nothing is written until it drains. */
  paused: boolean;
  /** Something may be missing: read the store again once the current read ends. */
  stale: boolean;
  final: JobState | undefined;
  done: boolean;
}

export interface LogStreams {
  /** Takes over `res` and streams `jobId`'s log from `fromSeq`. */
  readonly follow: (jobId: string, fromSeq: number, res: ServerResponse) => void;
  /** How many streams are open. */
  readonly open: () => number;
  /** Ends every stream (shutdown): each gets `end` with state null. */
  readonly closeAll: () => void;
}

export const makeLogStreams = (
  core: SupervisorCore,
  heartbeatMs: number,
): Effect.Effect<LogStreams, never, Scope.Scope> =>
  Effect.gen(function* () {
    const byJob = new Map<string, Set<Follower>>();

    const write = (f: Follower, text: string): boolean => {
      if (f.done) return false;
      return f.res.write(text);
    };

    const finish = (f: Follower, state: JobState | null) => {
      if (f.done) return;
      write(f, `event: end\ndata: ${JSON.stringify({ state })}\n\n`);
      f.done = true;
      f.res.end();
      forget(f);
    };

    const forget = (f: Follower) => {
      const set = byJob.get(f.jobId);
      set?.delete(f);
      if (set?.size === 0) byJob.delete(f.jobId);
    };

    const send = (f: Follower, chunk: LogChunk): void => {
      f.next = chunk.seq + 1;
      if (write(f, `id: ${chunk.seq}\nevent: log\ndata: ${JSON.stringify(chunk)}\n\n`)) return;
      // A full socket buffer: stop here, catch up from the store once it drains.
      f.paused = true;
      f.res.once("drain", () => {
        f.paused = false;
        catchUp(f);
      });
    };

    /** Reads the store from `f.next` until it has nothing more, then ends if the job is final. */
    const catchUp = (f: Follower): void => {
      if (f.done) return;
      if (f.reading || f.paused) {
        f.stale = true;
        return;
      }
      f.reading = true;
      f.stale = false;
      const read = ++f.read;
      const owed = Effect.gen(function* () {
        for (;;) {
          const page = yield* core.jobs.logs.read(f.jobId, {
            fromSeq: f.next,
            limit: pageSize,
            maxBytes: pageBytes,
          });
          let bytes = 0;
          for (const chunk of page.chunks) {
            if (f.done || f.paused || f.read !== read) return;
            send(f, chunk);
            bytes += Buffer.byteLength(chunk.data);
          }
          // A short page that did not reach the budget: nothing more is stored yet.
          if (page.chunks.length < pageSize && bytes < pageBytes) return;
        }
      });
      void Effect.runPromiseExit(owed).then((exit) => {
        if (f.read !== read) return;
        f.reading = false;
        if (exit._tag === "Failure") return finish(f, null);
        if (f.paused) return; // the drain resumes
        if (f.stale) return catchUp(f);
        if (f.final !== undefined) finish(f, f.final);
      });
    };

    const onLog = (e: { readonly jobId: string; readonly chunks: ReadonlyArray<LogChunk> }) => {
      const set = byJob.get(e.jobId);
      if (set === undefined) return;
      for (const f of set) {
        if (f.reading || f.paused) {
          f.stale = true;
          continue;
        }
        for (const chunk of e.chunks) {
          if (chunk.seq < f.next) continue;
          // A gap: the topic dropped messages on the way. The store has them.
          if (chunk.seq > f.next) {
            catchUp(f);
            break;
          }
          send(f, chunk);
          if (f.paused) break;
        }
      }
    };

    const onJob = (e: { readonly jobId: string; readonly state: JobState }) => {
      if (!isTerminalJobState(e.state)) return;
      for (const f of byJob.get(e.jobId) ?? []) {
        f.final = e.state;
        // Lines stored just before the end may still be on their way over the bus.
        catchUp(f);
      }
    };

    const pump = <A>(subscription: Subscription<A>, handle: (a: A) => void) =>
      Effect.forkScoped(
        Effect.forever(
          Effect.zipRight(
            subscription.awaitMessages,
            Effect.sync(() => subscription.drain(Number.MAX_SAFE_INTEGER, handle as never)),
          ),
        ).pipe(Effect.catchTag("BusClosed", () => Effect.void)),
      );
    yield* pump(yield* core.events.subscribe(logEvents, { capacity: 1 << 16 }), onLog);
    yield* pump(yield* core.events.subscribe(jobEvents, { capacity: 1 << 16 }), onJob);

    const heartbeat = setInterval(() => {
      for (const set of byJob.values()) for (const f of set) write(f, ": keep-alive\n\n");
    }, heartbeatMs);
    heartbeat.unref();

    const all = () => [...byJob.values()].flatMap((s) => [...s]);
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        clearInterval(heartbeat);
        for (const f of all()) finish(f, null);
      }),
    );

    return {
      follow: (jobId, fromSeq, res) => {
        res.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          "x-accel-buffering": "no",
        });
        res.flushHeaders();
        const f: Follower = {
          jobId,
          res,
          next: fromSeq,
          // Until the job's state is known: live chunks only mark it stale.
          reading: true,
          read: 0,
          paused: false,
          stale: false,
          final: undefined,
          done: false,
        };
        const set = byJob.get(jobId) ?? new Set<Follower>();
        set.add(f);
        byJob.set(jobId, set);
        res.on("close", () => {
          f.done = true;
          forget(f);
        });
        // Subscribed (above, for the hub's life) before reading: nothing falls in between.
        void Effect.runPromiseExit(core.jobs.get(jobId)).then((exit) => {
          if (exit._tag === "Success" && isTerminalJobState(exit.value.state))
            f.final = exit.value.state;
          f.reading = false;
          catchUp(f);
        });
      },
      open: () => all().length,
      closeAll: () => {
        for (const f of all()) finish(f, null);
      },
    };
  });
