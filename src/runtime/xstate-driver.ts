/**
 * The driver for machines the compiler does not take (compile-machine.ts says why: a pipeline
 * run's wildcard messages and queued actions, say): XState runs every step.
 *
 * One shared actor scope serves every actor of the kind: XState's own `createActor` (or the
 * pure `transition()`) builds a scope and a system per call, and a runtime drives many actors.
 * The machine decides every step; the driver only collects what it emits, for the runtime to
 * perform after the commit.
 */
import type { AnyStateMachine } from "xstate";
import {
  viewOf,
  type AnyBehaviour,
  type Driver,
  type EffectOf,
  type PersistedSnapshot,
  type SnapshotOf,
  type Step,
} from "./behaviour.ts";
import { persistedOf } from "./compiled-driver.ts";
import { pureScope, runUserAction } from "./pure-scope.ts";

export const xstateDriver = <B extends AnyBehaviour>(b: B): Driver<B> => {
  const machine = b.machine;
  let effects: unknown[] = [];
  // Emitted events are the effects; any other action with an implementation runs here,
  // during the step, as it would in a live actor (and its defect fails the step).
  const scope = pureScope(machine as AnyStateMachine, (action) => {
    if (action.type === "xstate.emit") effects.push(action.params?.event);
    else runUserAction(action);
  });
  const run = (f: () => SnapshotOf<B>): Step<B> => {
    effects = [];
    const snapshot = f();
    return { snapshot, effects: effects as ReadonlyArray<EffectOf<B>> };
  };
  return {
    behaviour: b,
    compiled: false,
    initial: (input) =>
      run(() => machine.getInitialSnapshot(scope as never, input) as SnapshotOf<B>),
    step: (snapshot, message) =>
      run(() => machine.transition(snapshot, message, scope as never) as SnapshotOf<B>),
    persist: (snapshot) => {
      const s = snapshot as unknown as {
        children: Record<string, unknown>;
        historyValue: Record<string, unknown>;
      };
      // With child actors or history states, XState's own walk is needed; without, the
      // persisted form is a few fields, and building it directly skips that walk.
      if (Object.keys(s.children).length > 0 || Object.keys(s.historyValue).length > 0) {
        return machine.getPersistedSnapshot(snapshot) as unknown as PersistedSnapshot;
      }
      return persistedOf(viewOf<B>(snapshot));
    },
    restore: (persisted) =>
      machine.restoreSnapshot(persisted as never, scope as never) as SnapshotOf<B>,
    deadline: (snapshot) => b.deadlineOf(viewOf<B>(snapshot).context),
    isDone: (snapshot) => viewOf<B>(snapshot).status !== "active",
  };
};
