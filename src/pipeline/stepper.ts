/**
 * Steps a pipeline machine purely: one event in, the next persisted snapshot out, with what the
 * step started and stopped. Nothing is performed: `runJob` children are records (see
 * run-job.ts) and delayed events (`after`, `raise(..., { delay })`) become timers with absolute
 * times, kept next to the snapshot and fired by whoever drives the machine, on its clock.
 *
 * The state is plain JSON, so the pipeline actor keeps it in its own context and one commit
 * makes both durable. Actions with implementations run during the step, as they would in a
 * live actor; one that throws fails the step, and the caller fails the run with its message.
 */
import type { AnyEventObject, AnyStateMachine, AnyStateNode, StateValue } from "xstate";
import type { PersistedSnapshot } from "../persistence/snapshots.ts";
import { pureScope, runUserAction } from "../runtime/pure-scope.ts";
import { stepChanges, stepChildren, type StepChild } from "./run-job.ts";

/** A delayed event waiting for its time. */
export interface Timer {
  readonly id: string;
  readonly at: number;
  readonly event: AnyEventObject;
}

export interface MachineState {
  readonly snapshot: PersistedSnapshot;
  readonly timers: ReadonlyArray<Timer>;
}

export type Stepped =
  | {
      readonly ok: true;
      readonly state: MachineState;
      readonly started: ReadonlyArray<StepChild>;
      readonly stopped: ReadonlyArray<StepChild>;
    }
  | { readonly ok: false; readonly reason: string };

export interface Stepper {
  readonly start: (input: unknown, at: number) => Stepped;
  readonly send: (state: MachineState, event: AnyEventObject, at: number) => Stepped;
  /** Delivers every timer due at `now`, earliest first. */
  readonly fire: (state: MachineState, now: number) => Stepped;
  /** Whether the machine, in this state, has a transition for the event. */
  readonly accepts: (state: MachineState, event: AnyEventObject) => boolean;
  /**
   * The event types the machine has transitions for in its current states: the signals it
   * takes now (a guard may still refuse one). XState's and Hodei's own events are left out.
   */
  readonly signals: (state: MachineState) => ReadonlyArray<string>;
  /** The earliest timer, or null. */
  readonly nextTimer: (state: MachineState) => number | null;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The state nodes a state value names, below `node` (a parallel or nested value, all of it). */
const activeNodes = (node: AnyStateNode, value: StateValue): AnyStateNode[] => {
  if (typeof value === "string") {
    const child = node.states[value];
    return child === undefined ? [] : [child];
  }
  return Object.entries(value).flatMap(([key, below]) => {
    const child = node.states[key];
    if (child === undefined) return [];
    return below === undefined ? [child] : [child, ...activeNodes(child, below)];
  });
};

/** An event a caller could send as a signal: not XState's, Hodei's, or a wildcard. */
const isSignalType = (type: string) =>
  !/^(xstate|hodei|done|error)\./.test(type) && !type.includes("*");

export const makeStepper = (machine: AnyStateMachine): Stepper => {
  let now = 0;
  let timers: Timer[] = [];
  let timerSeq = 0;
  const scope = pureScope(machine, (action, self) => {
    const p = action.params;
    const delayed =
      (action.type === "xstate.raise" ||
        (action.type === "xstate.sendTo" && (p?.to === self || p?.to === undefined))) &&
      typeof p?.delay === "number";
    if (delayed) {
      const id = typeof p.id === "string" ? p.id : `timer.${timerSeq++}`;
      timers = timers.filter((t) => t.id !== id);
      timers.push({ id, at: now + (p.delay as number), event: p.event as AnyEventObject });
    } else if (action.type === "xstate.cancel") {
      timers = timers.filter((t) => t.id !== p?.sendId);
    } else runUserAction(action);
  });

  const restore = (state: MachineState) =>
    machine.restoreSnapshot(state.snapshot as never, scope as never);

  const run = (
    before: MachineState | undefined,
    at: number,
    f: () => ReturnType<AnyStateMachine["transition"]>,
  ): Stepped => {
    now = at;
    timers = before ? [...before.timers] : [];
    try {
      const next = f();
      // XState catches what an action or guard throws and stops the machine with it.
      if (next.status === "error") throw next.error;
      const snapshot = machine.getPersistedSnapshot(next) as unknown as PersistedSnapshot;
      const changes = stepChanges(
        before ? stepChildren(before.snapshot as never) : new Map(),
        stepChildren(next as never),
      );
      // A finished machine waits for nothing: its timers go with it.
      const state = { snapshot, timers: next.status === "active" ? timers : [] };
      return { ok: true, state, ...changes };
    } catch (e) {
      return { ok: false, reason: `the pipeline machine failed: ${messageOf(e)}` };
    }
  };

  const send = (state: MachineState, event: AnyEventObject, at: number): Stepped =>
    run(state, at, () => machine.transition(restore(state), event, scope as never));

  return {
    start: (input, at) =>
      run(undefined, at, () => machine.getInitialSnapshot(scope as never, input)),
    send,
    fire: (state, at) => {
      let current: Stepped = { ok: true, state, started: [], stopped: [] };
      const started: StepChild[] = [];
      const stopped: StepChild[] = [];
      for (;;) {
        if (!current.ok) return current;
        const due = [...current.state.timers].sort((a, b) => a.at - b.at)[0];
        if (due === undefined || due.at > at) break;
        const rest = { ...current.state, timers: current.state.timers.filter((t) => t !== due) };
        current = send(rest, due.event, due.at);
        if (current.ok) {
          started.push(...current.started);
          stopped.push(...current.stopped);
        }
      }
      return current.ok ? { ...current, started, stopped } : current;
    },
    accepts: (state, event) => {
      try {
        return restore(state).can(event);
      } catch {
        return false;
      }
    },
    signals: (state) => {
      const value = state.snapshot.value as StateValue;
      const nodes = [machine.root, ...activeNodes(machine.root, value)];
      return [...new Set(nodes.flatMap((n) => n.ownEvents).filter(isSignalType))].sort();
    },
    nextTimer: (state) =>
      state.timers.length === 0 ? null : Math.min(...state.timers.map((t) => t.at)),
  };
};
