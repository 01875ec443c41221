/**
 * The driver for a compiled machine: each step goes through the machine's transition table
 * (compiled-stepper.ts), not through XState.
 *
 * The runtime still holds XState-shaped snapshots (what `system.snapshot` hands out and the
 * stores persist): each state's shape is made once, by XState's public `resolveState`, and a
 * step that changed the state or the context copies it with the new context. A step that
 * changed neither gives back the very snapshot it was given, as XState does, so the runtime
 * sees that nothing needs committing.
 *
 * A machine whose initial entry throws fails `initial` (XState would have made an actor in
 * status `error`, which the runtime could only have kept as a finished actor).
 */
import {
  viewOf,
  type AnyBehaviour,
  type ContextOf,
  type Driver,
  type EffectOf,
  type InputOf,
  type MessageOf,
  type PersistedSnapshot,
  type SnapshotOf,
  type Step,
} from "./behaviour.ts";
import { makeStepper } from "./compiled-stepper.ts";
import type { TransitionTable } from "./transition-table.ts";

/**
 * The persisted form of a snapshot without child actors or history states: what XState's
 * `getPersistedSnapshot` gives for it, built directly (without XState's walk of the context
 * looking for actor refs). What the stores hold for jobs and workers.
 */
/** A compiled machine's snapshot has no history and no children: one empty object for all. */
const none = Object.freeze({});

export const persistedOf = (snapshot: {
  readonly status: string;
  readonly value: unknown;
  readonly context: unknown;
  readonly output?: unknown;
  readonly error?: unknown;
}): PersistedSnapshot => ({
  status: snapshot.status,
  value: snapshot.value,
  context: snapshot.context,
  historyValue: none,
  children: none,
  ...(snapshot.output !== undefined ? { output: snapshot.output } : {}),
  ...(snapshot.error !== undefined ? { error: snapshot.error } : {}),
});

const isEmpty = (o: unknown): boolean =>
  o === undefined || (typeof o === "object" && o !== null && Object.keys(o).length === 0);

export const compiledDriver = <B extends AnyBehaviour>(b: B, table: TransitionTable): Driver<B> => {
  const stepper = makeStepper<ContextOf<B>, MessageOf<B>, EffectOf<B>, InputOf<B>>(table);
  // The machine's own snapshot of each state (its value, nodes, status), to copy per step.
  const shapes = new Map(
    [...stepper.states].map((state) => [
      state,
      b.machine.resolveState({ value: state, context: {} }),
    ]),
  );
  // Typed as the behaviour's snapshots: they are that machine's, shaped by XState itself.
  const snapshotOf = (state: string, context: ContextOf<B>): SnapshotOf<B> =>
    ({ ...shapes.get(state)!, context }) as SnapshotOf<B>;
  return {
    behaviour: b,
    compiled: true,
    initial: (input): Step<B> => {
      const r = stepper.initial(input);
      return { snapshot: snapshotOf(r.state, r.context), effects: r.effects };
    },
    step: (snapshot, message): Step<B> => {
      const { value, context } = viewOf<B>(snapshot);
      const r = stepper.step(value as string, context, message);
      return {
        snapshot: r.changed ? snapshotOf(r.state, r.context) : snapshot,
        effects: r.effects,
      };
    },
    persist: (snapshot) => persistedOf(viewOf<B>(snapshot)),
    restore: (persisted) => {
      const { value, status, context } = persisted;
      // Only what this driver itself persists comes back: one of the machine's states.
      if (typeof value !== "string" || !stepper.states.has(value)) {
        throw new Error(
          `${b.kind}: the stored state ${JSON.stringify(value)} is not one of its machine's`,
        );
      }
      if (!isEmpty(persisted["children"]) || !isEmpty(persisted["historyValue"])) {
        throw new Error(`${b.kind}: a stored snapshot with child actors or history`);
      }
      if (status !== (stepper.isFinal(value) ? "done" : "active")) {
        throw new Error(`${b.kind}: the stored status ${status} does not match the state ${value}`);
      }
      return snapshotOf(value, context as ContextOf<B>);
    },
    deadline: (snapshot) => b.deadlineOf(viewOf<B>(snapshot).context),
    isDone: (snapshot) => viewOf<B>(snapshot).status !== "active",
  };
};
