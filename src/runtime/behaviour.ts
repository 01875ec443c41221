/**
 * A Behaviour is what the runtime needs to know of one kind of actor: its XState machine, the
 * version of its definition (stored with every snapshot), where its next timer is, and how to
 * say "your timer fired" to it.
 *
 * A Driver runs a behaviour's machine for every actor of that kind with one shared actor scope:
 * XState's own `createActor` (or the pure `transition()`) builds a scope and a system per call,
 * and a job runtime drives hundreds of thousands of actors. The machine still decides every
 * step; the driver only collects what it emits, for the runtime to perform after the commit.
 */
import {
  type AnyStateMachine,
  type ContextFrom,
  type EmittedFrom,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
} from "xstate";
import type { PersistedSnapshot } from "../persistence/snapshots.ts";
import { pureScope, runUserAction } from "./pure-scope.ts";

export type { PersistedSnapshot } from "../persistence/snapshots.ts";

export interface Behaviour<M extends AnyStateMachine = AnyStateMachine> {
  readonly kind: string;
  /** Changes whenever the machine changes incompatibly; a snapshot of another version is refused. */
  readonly version: string;
  readonly machine: M;
  /** The absolute time (epoch ms) the actor's next timer fires at, or null. */
  readonly deadlineOf: (context: ContextFrom<M>) => number | null;
  /** The message delivered when the runtime clock passes that deadline. */
  readonly tick: (at: number) => EventFromLogic<M>;
  /**
   * Messages whose changes need no commit of their own (a heartbeat that only moves a
   * deadline), given the effects the step emitted: they change the live snapshot, and reach
   * the store with the next change that is committed (or before passivation). Their effects,
   * if any, must be informational (nothing depends on them being durable): they are performed
   * after the commits already under way, not after one of their own. A step that ends the
   * actor is never volatile.
   */
  readonly volatile?: (
    message: EventFromLogic<M>,
    effects: ReadonlyArray<EmittedFrom<M>>,
  ) => boolean;
  /**
   * A step written out by hand for a frequent message: the next snapshot and what it emits, or
   * `undefined` to run the machine. It must give exactly what the machine gives (a property
   * test per shortcut holds it to that); it is there because it is much cheaper.
   */
  readonly shortcut?: (
    snapshot: SnapshotFrom<M>,
    message: EventFromLogic<M>,
  ) =>
    | { readonly snapshot: SnapshotFrom<M>; readonly effects: ReadonlyArray<EmittedFrom<M>> }
    | undefined;
  /** The same for the initial snapshot, from the actor's input. */
  readonly startShortcut?: (
    input: InputFrom<M>,
  ) =>
    | { readonly snapshot: SnapshotFrom<M>; readonly effects: ReadonlyArray<EmittedFrom<M>> }
    | undefined;
}

export type AnyBehaviour = Behaviour<AnyStateMachine>;
export type MessageOf<B extends AnyBehaviour> = EventFromLogic<B["machine"]>;
export type EffectOf<B extends AnyBehaviour> = EmittedFrom<B["machine"]>;
export type InputOf<B extends AnyBehaviour> = InputFrom<B["machine"]>;
export type SnapshotOf<B extends AnyBehaviour> = SnapshotFrom<B["machine"]>;

export const behaviour = <M extends AnyStateMachine>(b: Behaviour<M>): Behaviour<M> => b;

export interface Step<B extends AnyBehaviour> {
  readonly snapshot: SnapshotOf<B>;
  readonly effects: ReadonlyArray<EffectOf<B>>;
}

export interface Driver<B extends AnyBehaviour> {
  readonly behaviour: B;
  readonly initial: (input: InputOf<B>) => Step<B>;
  readonly step: (snapshot: SnapshotOf<B>, message: MessageOf<B>) => Step<B>;
  readonly persist: (snapshot: SnapshotOf<B>) => PersistedSnapshot;
  readonly restore: (persisted: PersistedSnapshot) => SnapshotOf<B>;
  readonly deadline: (snapshot: SnapshotOf<B>) => number | null;
  readonly isDone: (snapshot: SnapshotOf<B>) => boolean;
}

export const makeDriver = <B extends AnyBehaviour>(b: B): Driver<B> => {
  const machine = b.machine;
  let effects: unknown[] = [];
  // Emitted events are the effects; any other action with an implementation runs here,
  // during the step, as it would in a live actor (and its defect fails the step).
  const scope = pureScope(machine as AnyStateMachine, (action) => {
    if (action.type === "xstate.emit") effects.push(action.params?.event);
    else runUserAction(action);
  });
  const run = <T>(f: () => T): { value: T; effects: ReadonlyArray<EffectOf<B>> } => {
    effects = [];
    const value = f();
    return { value, effects: effects as ReadonlyArray<EffectOf<B>> };
  };
  const wrap = (r: { value: SnapshotOf<B>; effects: ReadonlyArray<EffectOf<B>> }): Step<B> => ({
    snapshot: r.value,
    effects: r.effects,
  });
  return {
    behaviour: b,
    initial: (input) => {
      const short = b.startShortcut?.(input as never) as Step<B> | undefined;
      if (short !== undefined) return short;
      return wrap(run(() => machine.getInitialSnapshot(scope as never, input) as SnapshotOf<B>));
    },
    step: (snapshot, message) => {
      const short = b.shortcut?.(snapshot as never, message as never) as Step<B> | undefined;
      if (short !== undefined) return short;
      return wrap(
        run(() => machine.transition(snapshot, message, scope as never) as SnapshotOf<B>),
      );
    },
    persist: (snapshot) => {
      const s = snapshot as unknown as {
        status: string;
        value: unknown;
        context: unknown;
        children: Record<string, unknown>;
        historyValue: Record<string, unknown>;
        output?: unknown;
        error?: unknown;
      };
      // Without child actors or history states the persisted form is these fields; building
      // it directly skips XState's walk of the context looking for actor refs.
      if (Object.keys(s.children).length > 0 || Object.keys(s.historyValue).length > 0) {
        return machine.getPersistedSnapshot(snapshot) as unknown as PersistedSnapshot;
      }
      return {
        status: s.status,
        value: s.value,
        context: s.context,
        historyValue: {},
        children: {},
        ...(s.output !== undefined ? { output: s.output } : {}),
        ...(s.error !== undefined ? { error: s.error } : {}),
      };
    },
    restore: (persisted) =>
      machine.restoreSnapshot(persisted as never, scope as never) as SnapshotOf<B>,
    deadline: (snapshot) =>
      b.deadlineOf((snapshot as { context: ContextFrom<B["machine"]> }).context),
    isDone: (snapshot) => (snapshot as { status: string }).status !== "active",
  };
};
