/**
 * Steps plain `{ state, context }` values through a compiled machine's transition table
 * (transition-table.ts), as XState's macrostep would, without a snapshot, a scope or an actor:
 *
 * 1. The state's candidates for the message type are tried in order, each guard against the
 *    context as it was before the message; the first that passes runs its ops (exit, its own
 *    actions, entry), each seeing the context the ops before it left.
 * 2. Then, whether a candidate was taken or not, the current state's eventless candidates are
 *    tried (with the same message) and taken until none applies or the machine is done.
 *
 * An assign makes one new context object (XState's `Object.assign({}, context, changes)`); an
 * emit adds its event to the step's effects. A context that no assign touched is the same
 * object, so `changed` is true exactly when XState would have made a new snapshot.
 */
import type { EventObject, MachineContext } from "xstate";
import { paramsOf, type Candidate, type Op, type TransitionTable } from "./transition-table.ts";

export interface Stepped<C, F> {
  readonly state: string;
  readonly context: C;
  readonly effects: ReadonlyArray<F>;
  /** The state or the context changed (effects alone are not a change). */
  readonly changed: boolean;
}

export interface Stepper<C, E, F, I> {
  readonly initial: (input: I) => Omit<Stepped<C, F>, "changed">;
  readonly step: (state: string, context: C, event: E) => Stepped<C, F>;
  readonly isFinal: (state: string) => boolean;
  /** Every state the machine can rest in or pass through. */
  readonly states: ReadonlySet<string>;
}

/** Eventless transitions that keep leading on (a cycle of `always`) are a defect of the machine. */
const maxEventless = 1_000;

const select = (
  candidates: ReadonlyArray<Candidate>,
  context: MachineContext,
  event: EventObject,
): Candidate | undefined => {
  for (const c of candidates) {
    const g = c.guard;
    if (g === undefined || g.check({ context, event }, paramsOf(g.params, context, event)))
      return c;
  }
  return undefined;
};

const perform = (
  ops: ReadonlyArray<Op>,
  context: MachineContext,
  event: EventObject,
  effects: unknown[],
): MachineContext => {
  let c = context;
  for (const op of ops) {
    const out = op.fn(c, event, paramsOf(op.params, c, event));
    if (op.kind === "assign") c = { ...c, ...out };
    else effects.push(out);
  }
  return c;
};

/**
 * A stepper for `table`. Its context, message, effect and input types are the machine's own:
 * the table runs that machine's guards and actions, which take and give exactly those.
 */
export const makeStepper = <C extends MachineContext, E extends EventObject, F, I>(
  table: TransitionTable,
): Stepper<C, E, F, I> => {
  const stateOf = (state: string) => {
    const s = table.states.get(state);
    if (s === undefined) throw new Error(`'${state}' is not a state of the machine ${table.id}`);
    return s;
  };

  /** The eventless transitions after a message: until none applies, or the machine is done. */
  const settle = (state: string, context: MachineContext, event: EventObject, fx: unknown[]) => {
    let s = state;
    let c = context;
    for (let n = 0; ; n++) {
      const here = stateOf(s);
      if (here.final || here.always.length === 0) return { s, c };
      const next = select(here.always, c, event);
      if (next === undefined) return { s, c };
      if (n === maxEventless) throw new Error(`${table.id}: eventless transitions never settle`);
      c = perform(next.ops, c, event, fx);
      s = next.target!; // the compiler refuses an eventless transition without a target
    }
  };

  const start = (input: I): MachineContext => {
    const context = table.context;
    if (typeof context !== "function") return (context ?? {}) as MachineContext;
    return context({
      input,
      self: undefined,
      spawn: () => {
        throw new Error(`${table.id}: a compiled machine cannot spawn actors`);
      },
    }) as MachineContext;
  };

  return {
    initial: (input) => {
      const event = { type: "xstate.init", input };
      const effects: F[] = [];
      const entered = perform(table.initialOps, start(input), event, effects);
      const { s, c } = settle(table.initial, entered, event, effects);
      return { state: s, context: c as C, effects };
    },
    step: (state, context, event) => {
      const effects: F[] = [];
      const here = stateOf(state);
      let s = state;
      let c: MachineContext = context;
      const candidates = here.final ? undefined : here.on.get(event.type);
      const taken = candidates === undefined ? undefined : select(candidates, c, event);
      if (taken !== undefined) {
        c = perform(taken.ops, c, event, effects);
        if (taken.target !== undefined) s = taken.target;
      }
      if (!here.final) ({ s, c } = settle(s, c, event, effects));
      return { state: s, context: c as C, effects, changed: s !== state || c !== context };
    },
    isFinal: (state) => stateOf(state).final,
    states: new Set(table.states.keys()),
  };
};
