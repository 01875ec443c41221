/**
 * A Behaviour is what the runtime needs to know of one kind of actor: its XState machine, the
 * version of its definition (stored with every snapshot), where its next timer is, and how to
 * say "your timer fired" to it.
 *
 * A Driver steps every actor of a kind. The machine is the only definition of the kind's
 * lifecycle, and the driver runs it one of two ways, chosen once per machine:
 * - compiled (compiled-driver.ts): a flat machine — the job's, the worker's — is compiled from
 *   its own definition into a transition table and stepped without XState;
 * - through XState (xstate-driver.ts): any machine the compiler refuses, for the reason it
 *   gives (`executionOf` says which, for the supervisor to log at start-up).
 * Either way a step gives an XState-shaped snapshot and the effects the machine emitted, for
 * the runtime to perform after the commit.
 */
import type {
  AnyStateMachine,
  ContextFrom,
  EmittedFrom,
  EventFromLogic,
  InputFrom,
  SnapshotFrom,
} from "xstate";
import type { PersistedSnapshot } from "./snapshot-store.ts";
import { compileMachine } from "./compile-machine.ts";
import { compiledDriver } from "./compiled-driver.ts";
import { xstateDriver } from "./xstate-driver.ts";

export type { PersistedSnapshot } from "./snapshot-store.ts";

export interface Behaviour<M extends AnyStateMachine = AnyStateMachine> {
  readonly kind: string;
  /** Changes whenever the machine changes incompatibly; a snapshot of another version is refused. */
  readonly version: string;
  /**
   * Earlier versions whose snapshots this machine still resumes as they are: the machine only
   * gained states or context fields that a snapshot of those versions can never need. A stored
   * snapshot of any other version is refused (quarantined), never resumed on a new definition.
   */
  readonly reads?: ReadonlyArray<string>;
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
   * States an actor waits in for others, possibly long, with no timer (a queued job waits for
   * the scheduler): once such a state is committed the actor is passivated at once, and the
   * next message loads it back. Many actors waiting cost the store, not the heap.
   */
  readonly restsIn?: ReadonlyArray<string>;
  /**
   * States whose timer's step is decided by the committed state and the clock alone (a delayed
   * job come due becomes `queued`). When the runtime's tick steps an actor out of such a state
   * and that state is durable (no change of it pending or in flight), the step's effects are
   * performed at once, not after the step's own commit: had the process died before that commit,
   * recovery would find the same state with its deadline passed and take the same step again.
   */
  readonly eagerTicksIn?: ReadonlyArray<string>;
}

export type AnyBehaviour = Behaviour<AnyStateMachine>;
export type MessageOf<B extends AnyBehaviour> = EventFromLogic<B["machine"]>;
export type EffectOf<B extends AnyBehaviour> = EmittedFrom<B["machine"]>;
export type InputOf<B extends AnyBehaviour> = InputFrom<B["machine"]>;
export type ContextOf<B extends AnyBehaviour> = ContextFrom<B["machine"]>;
export type SnapshotOf<B extends AnyBehaviour> = SnapshotFrom<B["machine"]>;

/** What the drivers and the runtime read of a snapshot: the generic SnapshotFrom does not show it. */
export interface SnapshotView<C> {
  readonly status: string;
  readonly value: unknown;
  readonly context: C;
}
export const viewOf = <B extends AnyBehaviour>(
  snapshot: SnapshotOf<B>,
): SnapshotView<ContextOf<B>> => snapshot as SnapshotView<ContextOf<B>>;

export const behaviour = <M extends AnyStateMachine>(b: Behaviour<M>): Behaviour<M> => b;

/** Why a stored snapshot of `version` cannot be resumed by `b`, or undefined when it can. */
export const versionRefusal = (b: AnyBehaviour, version: string): string | undefined =>
  version === b.version || b.reads?.includes(version) === true
    ? undefined
    : `snapshot of version ${version}, behaviour is ${b.version}`;

export interface Step<B extends AnyBehaviour> {
  readonly snapshot: SnapshotOf<B>;
  readonly effects: ReadonlyArray<EffectOf<B>>;
}

export interface Driver<B extends AnyBehaviour> {
  readonly behaviour: B;
  /** Stepped through the compiled transition table (true) or through XState (false). */
  readonly compiled: boolean;
  readonly initial: (input: InputOf<B>) => Step<B>;
  readonly step: (snapshot: SnapshotOf<B>, message: MessageOf<B>) => Step<B>;
  readonly persist: (snapshot: SnapshotOf<B>) => PersistedSnapshot;
  readonly restore: (persisted: PersistedSnapshot) => SnapshotOf<B>;
  readonly deadline: (snapshot: SnapshotOf<B>) => number | null;
  readonly isDone: (snapshot: SnapshotOf<B>) => boolean;
}

export const makeDriver = <B extends AnyBehaviour>(b: B): Driver<B> => {
  const compiled = compileMachine(b.machine);
  return compiled.ok ? compiledDriver(b, compiled.table) : xstateDriver(b);
};

/** How the runtime runs each kind: "compiled", or "xstate: <why the compiler refused it>". */
export const executionOf = (
  behaviours: Readonly<Record<string, AnyBehaviour>>,
): Readonly<Record<string, string>> =>
  Object.fromEntries(
    Object.values(behaviours).map((b) => {
      const compiled = compileMachine(b.machine);
      return [b.kind, compiled.ok ? "compiled" : `xstate: ${compiled.reason}`];
    }),
  );
