/**
 * A flat XState machine compiled into a table (compile-machine.ts builds it from the machine's
 * own definition; compiled-stepper.ts steps plain `{ state, context }` values through it).
 *
 * Glossary:
 * - **state**: a top-level state's key (`"running"`): a compiled machine has no other kind.
 * - **candidate**: one transition that may be taken from a state on a message: its guard, the
 *   state it leads to, and every action it runs. A state's candidates for a message type are
 *   its own transitions for it, then the root's (`on` at the top of the machine), in the order
 *   the definition gives them; the first whose guard passes is taken, as XState takes it.
 * - **op**: one action, as the pure function its `assignAction`/`emitAction` carries
 *   (actors/compilable.ts), with its params.
 * - **eventless**: a state's `always` candidates, tried after every message (and after the
 *   initial entry) until none applies: how a transient state passes on at once.
 *
 * A candidate's ops are in the order XState runs them: the exit actions of the state it
 * leaves, its own actions, the entry actions of the state it enters, and, when that state is
 * final, that state's exit actions (XState exits every state when the machine is done).
 */

import type { EventObject, MachineContext } from "xstate";
import type { Compilable } from "../../actors/compilable.ts";

/** What guards and dynamic params are called with, as XState calls them. */
export interface GuardArgs {
  readonly context: MachineContext;
  readonly event: EventObject;
}

/** A params value, or a function of the context and event that gives it (XState's forms). */
export type Params =
  | { readonly dynamic: false; readonly value: unknown }
  | { readonly dynamic: true; readonly of: (args: GuardArgs) => unknown };

export interface Op {
  /** The action's name in the machine's `setup({ actions })`: for error messages. */
  readonly name: string;
  readonly kind: Compilable["kind"];
  readonly fn: Compilable["fn"];
  readonly params: Params;
}

export interface Guard {
  readonly name: string;
  readonly check: (args: GuardArgs, params: unknown) => unknown;
  readonly params: Params;
}

export interface Candidate {
  readonly guard: Guard | undefined;
  /** The state it leads to; `undefined` when it stays where it is (no exit, no entry). */
  readonly target: string | undefined;
  readonly ops: ReadonlyArray<Op>;
}

export interface StateTable {
  readonly final: boolean;
  /** By message type: the candidates, the state's own first, then the root's. */
  readonly on: ReadonlyMap<string, ReadonlyArray<Candidate>>;
  readonly always: ReadonlyArray<Candidate>;
}

export interface TransitionTable {
  /** The machine's id, for error messages. */
  readonly id: string;
  /** The machine's `context`: an object, or a function of `{ input, ... }` that makes one. */
  readonly context: unknown;
  /** Entering the initial state (its target) from nowhere: what the machine's start runs. */
  readonly initial: Candidate & { readonly target: string };
  readonly states: ReadonlyMap<string, StateTable>;
}

/** The params an action or guard is called with, from the context and event of the moment. */
export const paramsOf = (params: Params, context: MachineContext, event: EventObject): unknown =>
  params.dynamic ? params.of({ context, event }) : params.value;
