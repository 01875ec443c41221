/**
 * The actor scope for stepping a machine purely (`machine.transition(snapshot, event, scope)`).
 *
 * XState's `createActor` (or the pure `transition()`) builds a scope and an actor system per
 * call; a runtime stepping many actors of one machine lends them one inert actor instead,
 * never started, for its `self` and `system`. Nothing is deferred, no child is started or
 * stopped, and every action is handed to `execute`: the caller decides what an action means
 * (an emitted effect, a timer, a user's action run in place).
 */
import { createActor, type Actor, type AnyStateMachine } from "xstate";

/** One action as XState hands it to the scope's executor. */
export interface ActionRecord {
  readonly type: string;
  readonly params?: {
    readonly event?: unknown;
    readonly delay?: unknown;
    readonly id?: unknown;
    readonly sendId?: unknown;
    readonly to?: unknown;
  };
  readonly info?: unknown;
  readonly exec?: ((info: unknown, params: unknown) => void) | undefined;
}

/** Runs a user action with an implementation, as a live actor would (XState's own are skipped). */
export const runUserAction = (action: ActionRecord): void => {
  if (action.exec !== undefined && !action.type.startsWith("xstate.")) {
    action.exec(action.info, action.params);
  }
};

/** The scope handed to `machine.transition`; spelled out so the declaration emit can name it. */
export interface PureScope {
  readonly self: Actor<AnyStateMachine>;
  readonly id: string;
  readonly sessionId: string;
  readonly logger: () => void;
  readonly defer: () => void;
  readonly stopChild: () => void;
  readonly system: Actor<AnyStateMachine>["system"];
  readonly emit: () => void;
  readonly actionExecutor: (action: ActionRecord) => void;
}

export const pureScope = (
  machine: AnyStateMachine,
  execute: (action: ActionRecord, self: unknown) => void,
): PureScope => {
  const self = createActor(machine);
  return {
    self,
    id: "",
    sessionId: "",
    logger: () => {},
    defer: () => {},
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (action: ActionRecord) => execute(action, self),
  };
};
