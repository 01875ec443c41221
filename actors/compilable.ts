/**
 * Actions the runtime can compile. Each helper returns a normal XState action — `assign(...)` or
 * `emit(...)` — so XState runs the machine exactly as written (tests, `createActor`, the pure
 * `transition()`), and attaches the pure function it was made from under the `compilable` key.
 * The runtime's machine compiler (src/runtime/compile-machine.ts) finds that function there and
 * calls it directly, without XState: it cannot see inside an XState action, and reaching into
 * XState's internals to do so is what the project forbids.
 *
 * (Only at run time: the action's type stays XState's own, so that `setup` infers the machine's
 * types through it as it does through `assign`.)
 *
 * The pure function takes `(context, event, params)`:
 * - `assignAction`: returns the changed fields; they are merged into a new context, as XState's
 *   `assign` does (one new context object per assign, so return every change in one).
 * - `emitAction`: returns the event to emit (an effect for the runtime to perform).
 *
 * Guards need nothing of the kind: a named guard in `setup({ guards })` is already a plain
 * function; write combinations (`and`, `not`) as named guards of their own.
 */
import {
  assign,
  emit,
  type ActionFunction,
  type EventObject,
  type MachineContext,
  type ParameterizedObject,
  type ProvidedActor,
} from "xstate";

export const compilable: unique symbol = Symbol("hodei.compilable");

type Params = ParameterizedObject["params"] | undefined;

/** What a compilable action carries: its kind and its pure function. */
export interface Compilable {
  readonly kind: "assign" | "emit";
  // A method, so that a function of a machine's own context and event types can be stored here
  // (method parameters are compared bivariantly): the compiler calls it with that machine's
  // own context and events.
  fn(context: MachineContext, event: EventObject, params: Params): object;
}

export const assignAction = <
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends Params,
  TEvent extends EventObject,
  TActor extends ProvidedActor,
>(
  fn: (context: TContext, event: TExpressionEvent, params: TParams) => Partial<TContext>,
): ActionFunction<
  TContext,
  TExpressionEvent,
  TEvent,
  TParams,
  TActor,
  never,
  never,
  never,
  never
> =>
  Object.assign(
    assign<TContext, TExpressionEvent, TParams, TEvent, TActor>(({ context, event }, params) =>
      fn(context, event, params),
    ),
    { [compilable]: { kind: "assign", fn } satisfies Compilable },
  );

export const emitAction = <
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends Params,
  TEvent extends EventObject,
  TEmitted extends EventObject,
>(
  fn: (context: TContext, event: TExpressionEvent, params: TParams) => NoInfer<TEmitted>,
): ActionFunction<
  TContext,
  TExpressionEvent,
  TEvent,
  TParams,
  never,
  never,
  never,
  never,
  TEmitted
> =>
  Object.assign(
    emit<TContext, TExpressionEvent, TParams, TEvent, TEmitted>(({ context, event }, params) =>
      fn(context, event, params),
    ),
    { [compilable]: { kind: "emit", fn } satisfies Compilable },
  );

/** The pure function an action carries, if it was made by one of the helpers above. */
export const compilableOf = (action: unknown): Compilable | undefined =>
  typeof action === "function" && compilable in action
    ? (action as { readonly [compilable]: Compilable })[compilable]
    : undefined;
