/**
 * The schedules of a supervisor: their records in memory with each one's next due time, one
 * fiber that sleeps on the Clock until the earliest of them and then makes a pass, and the
 * commands the API and CLI call.
 *
 * A pass takes every schedule that is due, makes its firings (schedule-firing.ts) — schedules
 * side by side, each one's firings in order — then commits every changed record in one write.
 * Passes and commands take turns (one permit): a pause, a delete or a trigger never interleaves
 * with a pass's firing of the same schedule. Under the TestClock nothing sleeps for real, and a
 * test makes a pass itself (`pass`) to know it is done.
 *
 * Pausing keeps the record; resuming goes on from the resume time: firings due while paused
 * are not caught up. A trigger makes a firing now (overlap allowed) without moving `firedUntil`.
 */
import { Effect, Fiber, type Scope } from "effect";
import type { Bus } from "../bus/index.ts";
import { nextTimes } from "../domain/cron.ts";
import { decodeWith } from "../domain/decode.ts";
import { NotFound, type Conflict, type InvalidInput } from "../domain/errors.ts";
import { ScheduleSpec, type ScheduleRecord } from "../domain/schedule.ts";
import type { Store, StoreError } from "../persistence/index.ts";
import type { SupervisorCore } from "./core.ts";
import { dueFirings, fire, type FireOutcome, type Firing } from "./schedule-firing.ts";
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
  readonly core: Pick<SupervisorCore, "submit" | "cancel" | "pipelines" | "system">;
  readonly store: Store;
  readonly bus: Bus;
  /** How late a firing may be made and still count as on time (`catchUp: none`). */
  readonly graceMs: number;
}): Effect.Effect<Schedules, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const { core, store, bus } = deps;
    const now = () => core.system.now();
    const records = new Map<string, ScheduleRecord>();
    const nextAt = new Map<string, number>();
    const permit = yield* Effect.makeSemaphore(1);
    const changed = Effect.unsafeMakeLatch(false);

    const cronOf = (r: ScheduleRecord) => ({
      cron: r.spec.cron,
      timezone: r.spec.timezone,
      seed: r.spec.name,
    });
    const track = (r: ScheduleRecord) => {
      records.set(r.spec.name, r);
      const next = r.paused ? undefined : nextTimes(cronOf(r), r.firedUntil, 1)[0];
      if (next === undefined) nextAt.delete(r.spec.name);
      else nextAt.set(r.spec.name, next);
      changed.unsafeOpen();
    };
    const viewOf = (r: ScheduleRecord): ScheduleView => ({
      ...r,
      next: r.paused
        ? []
        : nextTimes(cronOf(r), Math.max(r.firedUntil, now()), shown).map((t) =>
            new Date(t).toISOString(),
          ),
    });
    const counted = (schedule: string, outcome: FireOutcome, n = 1) => {
      if (n > 0) bus.tryPublish(scheduleEvents, { schedule, outcome, count: n, at: now() });
    };
    const find = (name: string) =>
      Effect.suspend(() => {
        const r = records.get(name);
        return r === undefined
          ? Effect.fail(new NotFound({ kind: "schedule", id: name }))
          : Effect.succeed(r);
      });
    const save = (r: ScheduleRecord) =>
      store.schedules.update([r]).pipe(
        Effect.tap(() => track(r)),
        Effect.as(r),
      );

    /** One schedule's due firings, in order; its record as they leave it. */
    const fireDue = (r: ScheduleRecord, at: number) =>
      Effect.gen(function* () {
        const { make, missed } = dueFirings(r, at, deps.graceMs);
        counted(r.spec.name, "missed", missed);
        let record = r;
        for (const t of make) {
          const firing = yield* fire({ core, store }, record, t);
          counted(r.spec.name, firing.outcome);
          if (firing.error !== undefined) {
            yield* Effect.logWarning(
              `schedule ${r.spec.name}: firing ${new Date(t).toISOString()} failed: ${firing.error}`,
            );
          }
          record = { ...record, last: firing.last };
        }
        const until = Math.max(r.firedUntil, ...make, at);
        return { ...record, firedUntil: until, updatedAt: at };
      });

    const pass: Effect.Effect<void, StoreError> = permit.withPermits(1)(
      Effect.gen(function* () {
        const at = now();
        const due = [...nextAt].filter(([, t]) => t <= at).map(([name]) => records.get(name)!);
        if (due.length === 0) return;
        const updated = yield* Effect.forEach(due, (r) => fireDue(r, at), { concurrency: 256 });
        yield* store.schedules.update(updated);
        for (const r of updated) if (records.has(r.spec.name)) track(r);
      }),
    );

    for (const r of yield* store.schedules.list()) track(r);

    const loop = Effect.gen(function* () {
      for (;;) {
        changed.unsafeClose();
        const earliest = Math.min(...nextAt.values());
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
        serial(
          Effect.gen(function* () {
            const spec = yield* decodeSpec(input);
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
        ),
      get: (name) => Effect.map(find(name), viewOf),
      list: () =>
        Effect.sync(() =>
          [...records.values()].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1)).map(viewOf),
        ),
      remove: (name) =>
        serial(
          Effect.gen(function* () {
            yield* find(name);
            yield* store.schedules.remove(name);
            records.delete(name);
            nextAt.delete(name);
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
            const firing = yield* fire({ core, store }, r, now(), "allow");
            counted(name, firing.outcome);
            yield* save({ ...r, last: firing.last, updatedAt: now() });
            return firing;
          }),
        ),
      pass,
    };
  });
