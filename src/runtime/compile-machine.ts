/**
 * The machine compiler: a flat XState v5 machine, read from its own definition, becomes a
 * transition table (transition-table.ts) that compiled-stepper.ts steps without XState. The
 * machine stays the only definition of its lifecycle: the table holds its own guards and the
 * pure functions of its own actions, in XState's order; nothing is written twice by hand.
 *
 * What it takes: top-level atomic and final states; transitions (on a state, or on the root as
 * a fallback) with a named guard, at most one top-level target, `reenter`, and named actions;
 * `always` transitions with a target; state `entry` and `exit` actions. Every action must be
 * made with `assignAction`/`emitAction` (actors/compilable.ts), every guard a plain named
 * function. Anything else — parallel or nested states, history, `invoke`, delayed `after`,
 * wildcard events, inline or combined guards, inline or other actions, tags, output — is
 * refused with the reason, and the caller runs that machine through XState instead.
 *
 * It reads the machine through XState's public API only: `machine.root` (its state nodes and
 * their transition definitions), `machine.config` and `machine.implementations`.
 */
import type { AnyStateMachine } from "xstate";
import { compilableOf } from "../../actors/compilable.ts";
import type {
  Candidate,
  Guard,
  Op,
  Params,
  StateTable,
  TransitionTable,
} from "./transition-table.ts";

export type Compiled =
  | { readonly ok: true; readonly table: TransitionTable }
  | { readonly ok: false; readonly reason: string };

type StateNode = AnyStateMachine["root"];
type TransitionDef = NonNullable<StateNode["always"]>[number];
/** An action or guard as a definition lists it: a name, `{ type, params }` or a function. */
type Ref = unknown;
class Refused extends Error {}
const refuse = (reason: string): never => {
  throw new Refused(reason);
};

const rootKeys = new Set(["id", "initial", "context", "states", "on", "types", "schemas"]);
const stateKeys = new Set(["type", "entry", "exit", "on", "always"]);
const harmless = new Set(["description", "meta", "version"]);
const named: Record<string, string> = {
  invoke: "invokes actors (`invoke`)",
  after: "has delayed transitions (`after`)",
  states: "has nested states",
  history: "is a history state",
  tags: "has tags",
  output: "has an output",
  onDone: "has `onDone`",
};

const checkKeys = (config: object, allowed: ReadonlySet<string>, where: string): void => {
  for (const key of Object.keys(config)) {
    if (!allowed.has(key) && !harmless.has(key)) {
      refuse(`${where} ${named[key] ?? `uses \`${key}\`, which the compiler does not take`}`);
    }
  }
};

const params = (ref: Ref): Params => {
  const p = typeof ref === "object" && ref !== null && "params" in ref ? ref.params : undefined;
  return typeof p === "function"
    ? { dynamic: true, of: p as Extract<Params, { dynamic: true }>["of"] }
    : { dynamic: false, value: p };
};

const nameOf = (ref: Ref, what: string, where: string): string => {
  if (typeof ref === "string") return ref;
  if (typeof ref === "object" && ref !== null && "type" in ref && typeof ref.type === "string") {
    return ref.type;
  }
  const fn = typeof ref === "function" && ref.name !== "" ? `\`${ref.name}\`` : "anonymous";
  return refuse(`${where}: an inline ${what} (${fn}); name it in setup({ ${what}s })`);
};

const compileOp =
  (machine: AnyStateMachine, where: string) =>
  (ref: Ref): Op => {
    const name = nameOf(ref, "action", where);
    const impl: unknown = machine.implementations.actions[name];
    if (impl === undefined) return refuse(`${where}: action '${name}' is not implemented`);
    const pure = compilableOf(impl);
    if (pure === undefined) {
      return refuse(
        `${where}: action '${name}' is not compilable (make it with assignAction or emitAction)`,
      );
    }
    return { name, kind: pure.kind, fn: pure.fn, params: params(ref) };
  };

const compileGuard = (machine: AnyStateMachine, ref: Ref, where: string): Guard | undefined => {
  if (ref === undefined) return undefined;
  const name = nameOf(ref, "guard", where);
  const impl: unknown = machine.implementations.guards[name];
  if (impl === undefined) return refuse(`${where}: guard '${name}' is not implemented`);
  if (typeof impl !== "function" || "check" in impl) {
    return refuse(`${where}: guard '${name}' is not a plain function (and/or/not: name them)`);
  }
  return { name, check: impl as Guard["check"], params: params(ref) };
};

const compile = (machine: AnyStateMachine): TransitionTable => {
  const root = machine.root;
  if (root.type !== "compound") refuse(`the machine's root is ${root.type}, not compound`);
  checkKeys(root.config, rootKeys, "the machine");
  if ((root.always ?? []).length > 0) refuse("the machine has eventless transitions on its root");
  const nodes = Object.values(root.states);
  for (const node of nodes) {
    const where = `state '${node.key}'`;
    if (node.type !== "atomic" && node.type !== "final") {
      refuse(`${where} is ${node.type === "compound" ? "nested (it has states)" : node.type}`);
    }
    checkKeys(node.config, stateKeys, where);
  }
  for (const node of [root, ...nodes]) {
    const where = node === root ? "the machine" : `state '${node.key}'`;
    for (const event of node.transitions.keys()) {
      if (event.includes("*")) refuse(`${where} takes the wildcard event '${event}'`);
      if (event.startsWith("xstate.")) refuse(`${where} takes XState's own event '${event}'`);
    }
  }

  const ops = (refs: ReadonlyArray<Ref>, where: string) => refs.map(compileOp(machine, where));
  const entry = (n: StateNode) => ops(n.entry, `entry of '${n.key}'`);
  const exit = (n: StateNode) => ops(n.exit, `exit of '${n.key}'`);
  // Entering a final state ends the machine: XState then runs that state's exit actions too.
  const entering = (n: StateNode) => (n.type === "final" ? [...entry(n), ...exit(n)] : entry(n));

  /** Transition `t`, taken while in `from` (its own, or the root's as a fallback). */
  const candidate = (t: TransitionDef, from: StateNode, where: string): Candidate => {
    const guard = compileGuard(machine, t.guard, where);
    const own = ops(t.actions, where);
    const targets = t.target ?? [];
    if (targets.length > 1) refuse(`${where}: a transition with several targets`);
    const to = targets[0];
    if (to === undefined) return { guard, target: undefined, ops: own };
    if (to.parent !== root) refuse(`${where}: the target '${to.id}' is not a top-level state`);
    // A state's transition to itself stays in it unless it says `reenter`; a root transition
    // always leaves the current state and enters its target (XState's transition domain).
    if (to === from && t.source === from && !t.reenter) {
      return { guard, target: undefined, ops: own };
    }
    return { guard, target: to.key, ops: [...exit(from), ...own, ...entering(to)] };
  };

  const states = new Map<string, StateTable>();
  for (const node of nodes) {
    const on = new Map<string, ReadonlyArray<Candidate>>();
    const events = new Set([...node.transitions.keys(), ...root.transitions.keys()]);
    for (const event of events) {
      const where = `state '${node.key}' on '${event}'`;
      const list = [...(node.transitions.get(event) ?? []), ...(root.transitions.get(event) ?? [])];
      on.set(
        event,
        list.map((t) => candidate(t, node, where)),
      );
    }
    const always = (node.always ?? []).map((t) => {
      const where = `state '${node.key}', eventless`;
      const c = candidate(t, node, where);
      // Without a target (or to itself) XState would take it again and again.
      if (c.target === undefined || c.target === node.key) {
        refuse(`${where}: an eventless transition must lead to another state`);
      }
      return c;
    });
    states.set(node.key, { final: node.type === "final", on, always });
  }

  const initial = root.initial.target[0];
  if (initial === undefined) return refuse("the machine has no initial state");
  if (root.initial.actions.length > 0) refuse("the machine's initial transition has actions");
  return {
    id: machine.id,
    context: machine.config.context,
    initial: { guard: undefined, target: initial.key, ops: entering(initial) },
    states,
  };
};

const cache = new WeakMap<AnyStateMachine, Compiled>();
/** Compiles `machine` (once per machine), or says precisely why it cannot. */
export const compileMachine = (machine: AnyStateMachine): Compiled => {
  let compiled = cache.get(machine);
  if (compiled === undefined) {
    try {
      compiled = { ok: true, table: compile(machine) };
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      compiled = { ok: false, reason: e.message };
    }
    cache.set(machine, compiled);
  }
  return compiled;
};
