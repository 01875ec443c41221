/**
 * The schedules of a supervisor: their records in memory with each one's next due time, one
 * fiber that sleeps on the Clock until the earliest of them and then makes a pass, and the
 * commands the API and CLI call.
 *
 * A pass takes every schedule that is due, makes its firings (schedule-firing.ts) — schedules
 * side by side, each one's firings in order — then commits every changed record in one write.
 * Passes and commands take turns (one permit): a pause, a delete or a trigger never interleaves
 * with a pass's firing of the same schedule. A create takes no turn (a pass would wait on its
 * commit): its schedule is known, and fires, only once its record is committed, and a pass
 * writes only the records it read. Under the TestClock nothing sleeps for real, and a test
 * makes a pass itself (`pass`) to know it is done.
 *
 * Pausing keeps the record; resuming goes on from the resume time: firings due while paused
 * are not caught up. A trigger makes a firing now (overlap allowed) without moving `firedUntil`.
 */
import { Effect, Fiber, type Scope } from "effect";
import type { Bus } from "../bus/index.ts";
import { cronCursor } from "../domain/cron.ts";
import { decodeWith } from "../domain/decode.ts";
import { InvalidInput, NotFound, type Conflict } from "../domain/errors.ts";
import { ScheduleSpec, type ScheduleRecord } from "../domain/schedule.ts";
import type { Store, StoreError } from "../persistence/index.ts";
import type { SupervisorCore } from "./core.ts";
import { fire, type FireOutcome, type Firing } from "./schedule-firing.ts";
import { firePass, type Entry } from "./schedule-pass.ts";
import { scheduleEvents } from "./topics.ts";

export interface ScheduleView extends ScheduleRecord {
  /** The next due times (ISO), the earliest first; none while paused. */
  readonly next: ReadonlyArray<string>;
}

export interface Schedules {
  readonly create: (
    input: unknown,
  ) => Effect.Effect<ScheduleView, InvalidInput | Conflict | StoreError>;
  readonly get: (name: string) => Effect.Effect<ScheduleView, NotFound | StoreError>;
  readonly list: () => Effect.Effect<ReadonlyArray<ScheduleView>>;
  readonly remove: (name: string) => Effect.Effect<void, NotFound | StoreError>;
  readonly pause: (name: string) => Effect.Effect<ScheduleView, NotFound | StoreError>;
  readonly resume: (name: string) => Effect.Effect<ScheduleView, NotFound | StoreError>;
  readonly trigger: (name: string) => Effect.Effect<Firing, NotFound | StoreError>;
  /** Makes every firing due now; the fiber does the same at each due time. */
  readonly pass: Effect.Effect<void, StoreError>;
}

const decodeSpec = decodeWith(ScheduleSpec);
const shown = 5;

export const makeSchedules = (deps: {
  readonly core: Pick<
    SupervisorCore,
    "submit" | "submitSpecs" | "cancel" | "pipelines" | "system" | "registry"
  >;
  readonly store: Store;
  readonly bus: Bus;
  /** How late a firing may be made and still count as on time (`catchUp: none`). */
  readonly graceMs: number;
}): Effect.Effect<Schedules, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const { core, store, bus } = deps;
    const firing = { core, store };
    const now = () => core.system.now();
    const entries = new Map<string, Entry>();
    const permit = yield* Effect.makeSemaphore(1);
    const changed = Effect.unsafeMakeLatch(false);

    /**
     * Holds `r` as the schedule's record, with its next due time (`upcoming` when a pass
     * worked it out) and the one after it.
     */
    const track = (r: ScheduleRecord, upcoming?: number) => {
      const name = r.spec.name;
      const known = entries.get(name);
      const entry: Entry = known ?? {
        record: r,
        cursor: cronCursor({ cron: r.spec.cron, timezone: r.spec.timezone, seed: name }),
        nextAt: undefined,
        following: undefined,
      };
      entry.record = r;
      if (r.paused) [entry.nextAt, entry.following] = [undefined, undefined];
      else if (upcoming === undefined)
        [entry.nextAt, entry.following] = entry.cursor.next(r.firedUntil, 2);
      else [entry.nextAt, entry.following] = [upcoming, entry.cursor.next(upcoming, 1)[0]];
      entries.set(name, entry);
      changed.unsafeOpen();
    };
    const viewOf = (r: ScheduleRecord): ScheduleView => ({
      ...r,
      next: r.paused
        ? []
        : (
            entries.get(r.spec.name)?.cursor ??
            cronCursor({ cron: r.spec.cron, timezone: r.spec.timezone, seed: r.spec.name })
          )
            .next(Math.max(r.firedUntil, now()), shown)
            .map((t) => new Date(t).toISOString()),
    });
    const counted = (schedule: string, outcome: FireOutcome, n = 1) => {
      if (n > 0) bus.tryPublish(scheduleEvents, { schedule, outcome, count: n, at: now() });
    };
    const find = (name: string) =>
      Effect.suspend(() => {
        const e = entries.get(name);
        return e === undefined
          ? Effect.fail(new NotFound({ kind: "schedule", id: name }))
          : Effect.succeed(e.record);
      });
    const save = (r: ScheduleRecord) =>
      store.schedules.update([r]).pipe(
        Effect.tap(() => track(r)),
        Effect.as(r),
      );

    /**
     * One pass: the due times of every due schedule (catch-up), then the overlap policy, then
     * every job firing in one batch and the runs one by one, then every record in one commit.
     */
    const pass: Effect.Effect<void, StoreError> = permit.withPermits(1)(
      Effect.gen(function* () {
        const at = now();
        const due = [...entries.values()].filter((e) => e.nextAt !== undefined && e.nextAt <= at);
        if (due.length === 0) return;
        const updated = yield* firePass(firing, due, at, deps.graceMs, counted);
        yield* store.schedules.update(updated.map((u) => u.record));
        for (const u of updated) if (entries.has(u.record.spec.name)) track(u.record, u.upcoming);
      }),
    );

    for (const r of yield* store.schedules.list()) track(r);

    const loop = Effect.gen(function* () {
      for (;;) {
        changed.unsafeClose();
        let earliest = Infinity;
        for (const e of entries.values())
          if (e.nextAt !== undefined && e.nextAt < earliest) earliest = e.nextAt;
        if (earliest === Infinity) yield* changed.await;
        else {
          const wait = earliest - now();
          if (wait > 0) yield* Effect.race(Effect.sleep(wait), changed.await);
        }
        yield* pass.pipe(
          Effect.catchAll((e) => Effect.logWarning(`schedules: a pass failed: ${e.message}`)),
        );
      }
    });
    const fiber = yield* Effect.forkDaemon(loop);
    yield* Effect.addFinalizer(() => Fiber.interrupt(fiber));

    const serial = permit.withPermits(1);
    return {
      create: (input) =>
        Effect.gen(function* () {
          const spec = yield* decodeSpec(input);
          if (spec.pipeline !== undefined && core.registry.get(spec.pipeline) === undefined) {
            const message = `no pipeline ${spec.pipeline} is registered`;
            return yield* new InvalidInput({ message, issues: [{ path: "pipeline", message }] });
          }
          const at = now();
          const record: ScheduleRecord = {
            spec,
            createdAt: at,
            updatedAt: at,
            paused: false,
            firedUntil: at,
            last: null,
          };
          yield* store.schedules.create(record);
          track(record);
          return viewOf(record);
        }),
      get: (name) => Effect.map(find(name), viewOf),
      list: () =>
        Effect.sync(() =>
          [...entries.values()]
            .map((e) => e.record)
            .sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1))
            .map(viewOf),
        ),
      remove: (name) =>
        serial(
          Effect.gen(function* () {
            yield* find(name);
            yield* store.schedules.remove(name);
            entries.delete(name);
          }),
        ),
      pause: (name) =>
        serial(
          Effect.flatMap(find(name), (r) =>
            save({ ...r, paused: true, updatedAt: now() }).pipe(Effect.map(viewOf)),
          ),
        ),
      resume: (name) =>
        serial(
          Effect.flatMap(find(name), (r) => {
            const at = now();
            if (!r.paused) return Effect.succeed(viewOf(r));
            const firedUntil = Math.max(r.firedUntil, at);
            return save({ ...r, paused: false, firedUntil, updatedAt: at }).pipe(
              Effect.map(viewOf),
            );
          }),
        ),
      trigger: (name) =>
        serial(
          Effect.gen(function* () {
            const r = yield* find(name);
            const f = yield* fire(firing, r, now(), "allow");
            counted(name, f.outcome);
            yield* save({ ...r, last: f.last, updatedAt: now() });
            return f;
          }),
        ),
      pass,
    };
  });
