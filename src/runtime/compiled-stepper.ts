/**
 * Steps plain `{ state, context }` values through a compiled machine's transition table
 * (transition-table.ts), as XState's macrostep would, without a snapshot, a scope or an actor:
 *
 * 1. The state's candidates for the message type are tried in order, each guard against the
 *    context as it was before the message; the first that passes runs its ops (exit, its own
 *    actions, entry), each seeing the context the ops before it left.
 * 2. Then, whether a candidate was taken or not, the current state's eventless candidates are
 *    tried (with the same message) and taken until none applies or the machine is done.
 * A final state takes nothing more: the runtime never steps a finished actor.
 *
 * An assign makes one new context object (XState's `Object.assign({}, context, changes)`); an
 * emit adds its event to the step's effects. A context that no assign touched is the same
 * object, so `changed` is true exactly when XState would have made a new snapshot.
 */
import type { EventObject, MachineContext } from "xstate";
import { paramsOf, type Candidate, type TransitionTable } from "./transition-table.ts";

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

/** The effects of a step that emitted none: shared, never written to. */
const none: ReadonlyArray<never> = Object.freeze([]);

/**
 * One step as it runs: the state, context and effects so far. It is the step's result too, so a
 * step allocates this one record, the contexts its assigns make and what its actions return.
 */
interface Run {
  state: string;
  context: MachineContext;
  effects: unknown[] | ReadonlyArray<never>;
  changed: boolean;
}

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

const perform = (run: Run, candidate: Candidate, event: EventObject): void => {
  for (const op of candidate.ops) {
    const out = op.fn(run.context, event, paramsOf(op.params, run.context, event));
    if (op.kind === "assign") run.context = { ...run.context, ...out };
    else if (run.effects === none) run.effects = [out];
    else (run.effects as unknown[]).push(out);
  }
  if (candidate.target !== undefined) run.state = candidate.target;
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
  const settle = (run: Run, event: EventObject): void => {
    for (let n = 0; ; n++) {
      const here = stateOf(run.state);
      if (here.final || here.always.length === 0) return;
      const next = select(here.always, run.context, event);
      if (next === undefined) return;
      if (n === maxEventless) throw new Error(`${table.id}: eventless transitions never settle`);
      perform(run, next, event);
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

  // The run's context and effects are the machine's own C and F: its actions made them.
  const result = (run: Run) => run as Stepped<C, F>;

  return {
    initial: (input) => {
      const event = { type: "xstate.init", input };
      const run: Run = { state: "", context: start(input), effects: none, changed: true };
      perform(run, table.initial, event);
      settle(run, event);
      return result(run);
    },
    step: (state, context, event) => {
      const run: Run = { state, context, effects: none, changed: false };
      const here = stateOf(state);
      if (here.final) return result(run);
      const candidates = here.on.get(event.type);
      const taken = candidates === undefined ? undefined : select(candidates, context, event);
      if (taken !== undefined) perform(run, taken, event);
      settle(run, event);
      run.changed = run.state !== state || run.context !== context;
      return result(run);
    },
    isFinal: (state) => stateOf(state).final,
    states: new Set(table.states.keys()),
  };
};
