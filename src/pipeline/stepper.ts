/**
 * Steps a pipeline machine purely: one event in, the next persisted snapshot out, with what the
 * step started and stopped. Nothing is performed: `runJob` children are records (see
 * run-job.ts) and delayed events (`after`, `raise(..., { delay })`) become timers with absolute
 * times, kept next to the snapshot and fired by whoever drives the machine, on its clock.
 *
 * The state is plain JSON, so the pipeline actor keeps it in its own context and one commit
 * makes both durable. It is a function of the input, the events and the times given: the ids it
 * makes (step keys, unnamed timers) come from the run's own count (`issued`), not from a random
 * source or a counter shared with other runs. Actions with implementations run during the
 * step, as they would in a live actor; one that throws fails the step, and the caller fails
 * the run with its message.
 */
import type {
  AnyEventObject,
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyStateNode,
  StateValue,
} from "xstate";
import type {
  MachineSnapshot,
  MachineState,
  Stepped,
  Stepper,
  Timer,
} from "../domain/pipeline-machine.ts";
import type { MachineEvent, StepChild } from "../domain/pipeline-step.ts";
import { pureScope, runUserAction } from "../runtime/pure-scope.ts";
import { numberStepsIn, stepChanges, stepChildren } from "./run-job.ts";

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
  let issued = 0;
  const scope = pureScope(machine, (action, self) => {
    const p = action.params;
    const delayed =
      (action.type === "xstate.raise" ||
        (action.type === "xstate.sendTo" && (p?.to === self || p?.to === undefined))) &&
      typeof p?.delay === "number";
    if (delayed) {
      const id = typeof p.id === "string" ? p.id : `timer.${issued++}`;
      timers = timers.filter((t) => t.id !== id);
      timers.push({ id, at: now + (p.delay as number), event: p.event as MachineEvent });
    } else if (action.type === "xstate.cancel") {
      timers = timers.filter((t) => t.id !== p?.sendId);
    } else runUserAction(action);
  });
  numberStepsIn(scope.system, () => String(issued++));

  // The live snapshot each persisted one was made from: the next step of a run whose state
  // came from here (the common case: the actor keeps it in its context) goes on from it
  // instead of restoring the snapshot, children and all. Any other state is restored.
  const live = new WeakMap<MachineSnapshot, AnyMachineSnapshot>();
  const restore = (state: MachineState): AnyMachineSnapshot =>
    live.get(state.snapshot) ??
    (machine.restoreSnapshot(state.snapshot as never, scope as never) as AnyMachineSnapshot);

  const run = (
    before: MachineState | undefined,
    at: number,
    f: () => ReturnType<AnyStateMachine["transition"]>,
  ): Stepped => {
    now = at;
    timers = before ? [...before.timers] : [];
    issued = before?.issued ?? 0;
    try {
      const next = f();
      // XState catches what an action or guard throws and stops the machine with it.
      if (next.status === "error") throw next.error;
      const snapshot = machine.getPersistedSnapshot(next) as unknown as MachineSnapshot;
      live.set(snapshot, next);
      const changes = stepChanges(
        before ? stepChildren(before.snapshot) : new Map(),
        stepChildren(snapshot),
      );
      // A finished machine waits for nothing: its timers go with it.
      const state = {
        snapshot,
        timers: next.status === "active" ? timers : [],
        issued,
      };
      return { ok: true, state, ...changes };
    } catch (e) {
      return { ok: false, reason: `the pipeline machine failed: ${messageOf(e)}` };
    }
  };

  const send = (state: MachineState, event: MachineEvent, at: number): Stepped =>
    run(state, at, () =>
      machine.transition(restore(state), event as AnyEventObject, scope as never),
    );

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
        return restore(state).can(event as AnyEventObject);
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
