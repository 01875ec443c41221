/**
 * Shared parts for the specs a supervisor holds while their jobs wait: a million queued jobs
 * mostly ask for the same resources, labels, constraints and retry policy, and often run the
 * same command or handler, and each decoded spec has its own copy of them (five objects and
 * more a job). `internSpec` returns the spec with those parts replaced by one shared, frozen
 * instance per distinct value — the same values, so nothing that reads a spec can tell. The
 * tables are bounded: past `maxEntries` distinct values a part is kept as it is.
 */
import type { JobSpec } from "./job-spec.ts";

const maxEntries = 4096;

class Table<T extends object> {
  private readonly entries = new Map<string, T>();
  /** The value interned last: specs come in runs of the same parts, and a match costs no key. */
  private last: T | undefined;

  constructor(
    private readonly keyOf: (value: T) => string | undefined,
    private readonly freeze: (value: T) => T = Object.freeze,
    /** Whether two values are equal, field by field (cheaper than their keys); none: no `last`. */
    private readonly same?: (a: T, b: T) => boolean,
  ) {}

  intern(value: T): T {
    const last = this.last;
    if (last !== undefined && this.same?.(last, value) === true) return last;
    const kept = this.lookUp(value);
    if (this.same !== undefined && Object.isFrozen(kept)) this.last = kept;
    return kept;
  }

  private lookUp(value: T): T {
    const key = this.keyOf(value);
    if (key === undefined) return value;
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    if (this.entries.size >= maxEntries) return value;
    this.entries.set(key, this.freeze(value));
    return value;
  }
}

type Resources = JobSpec["resources"];
type Labels = JobSpec["labels"];
type Constraints = JobSpec["constraints"];
type Retry = JobSpec["retry"];
type Command = NonNullable<JobSpec["command"]>;
type Handler = NonNullable<JobSpec["handler"]>;

const resources = new Table<Resources>(
  (r) => `${r.cpuMillis}/${r.memoryMb}/${r.gpus}`,
  Object.freeze,
  (a, b) => a.cpuMillis === b.cpuMillis && a.memoryMb === b.memoryMb && a.gpus === b.gpus,
);
const retries = new Table<Retry>(
  (r) => `${r.maxAttempts}/${r.initialDelayMs}/${r.multiplier}/${r.maxDelayMs}/${r.jitter}`,
  Object.freeze,
  (a, b) =>
    a.maxAttempts === b.maxAttempts &&
    a.initialDelayMs === b.initialDelayMs &&
    a.multiplier === b.multiplier &&
    a.maxDelayMs === b.maxDelayMs &&
    a.jitter === b.jitter,
);
// Labels and constraints: the empty ones (the usual case) and small ones, by their JSON.
const small = (value: object): string | undefined => {
  const text = JSON.stringify(value);
  return text.length <= 256 ? text : undefined;
};
const isEmpty = (value: object): boolean => {
  for (const _ in value) return false;
  return true;
};
// The usual case, found without a key: both are empty when the last one was.
const bothEmpty = (a: object, b: object): boolean => isEmpty(b) && isEmpty(a);
const labels = new Table<Labels>(small, Object.freeze, bothEmpty);
// Frozen through, as labels are: the scheduler keys its cache on them by identity.
const constraints = new Table<Constraints>(
  small,
  (cs) => {
    for (const c of cs) {
      if ("values" in c) Object.freeze(c.values);
      Object.freeze(c);
    }
    return Object.freeze(cs);
  },
  (a, b) => a.length === 0 && b.length === 0,
);
// A command, frozen through (its argv and env are shared too).
const commands = new Table<Command>(small, (c) => {
  for (const part of Object.values(c)) if (typeof part === "object") Object.freeze(part);
  return Object.freeze(c);
});

// Job and queue names: a spec read back from the store has strings of its own (a request's
// parser shares short ones), 24 bytes and more each.
const names = new Map<string, string>();
const nameOf = (name: string): string => {
  const known = names.get(name);
  if (known !== undefined) return known;
  if (names.size < maxEntries) names.set(name, name);
  return name;
};

// A handler called without input: its name says it all. (One with input is kept as it is:
// inputs are mostly the job's own, and comparing them would cost more than it keeps.)
const handlers = new Table<Handler>((h) => (h.input === null ? h.name : undefined));

/**
 * The last spec of the usual eight fields `internSpec` made: specs come in runs (a batch, a
 * backlog of one kind of job), and one equal to it in every field (its parts shared, so
 * compared by identity) is that spec again.
 */
let lastSpec: JobSpec | undefined;

/**
 * `spec` with its common parts shared (see the header). A spec of the usual eight fields equal
 * to the one before it is that one, frozen (a million queued jobs of one kind hold one spec,
 * not a million: 96 bytes each); any other is new. A spec of the usual eight fields is built as
 * one literal: V8 keeps its fields in the object, where a spread keeps them in an array beside
 * it (32 bytes more a job).
 */
export const internSpec = (spec: JobSpec): JobSpec => {
  const resourcesKept = resources.intern(spec.resources);
  const labelsKept = labels.intern(spec.labels);
  const constraintsKept = constraints.intern(spec.constraints);
  const retry = retries.intern(spec.retry);
  const name = nameOf(spec.name);
  const queue = nameOf(spec.queue);
  if (usualFields(spec)) {
    const priority = spec.priority;
    const command = spec.command === undefined ? undefined : commands.intern(spec.command);
    const handler = spec.handler === undefined ? undefined : handlers.intern(spec.handler);
    const last = lastSpec;
    if (
      last !== undefined &&
      last.command === command &&
      last.handler === handler &&
      last.resources === resourcesKept &&
      last.labels === labelsKept &&
      last.constraints === constraintsKept &&
      last.retry === retry &&
      last.priority === priority &&
      last.name === name &&
      last.queue === queue
    ) {
      // Frozen when it is first shared: a stream of specs that never repeat pays nothing.
      return Object.isFrozen(last) ? last : Object.freeze(last);
    }
    // Every field named: a spread in a literal puts the fields after it beside the object.
    const kept: JobSpec =
      command !== undefined
        ? {
            name,
            command,
            resources: resourcesKept,
            labels: labelsKept,
            constraints: constraintsKept,
            retry,
            priority,
            queue,
          }
        : {
            name,
            handler: handler!,
            resources: resourcesKept,
            labels: labelsKept,
            constraints: constraintsKept,
            retry,
            priority,
            queue,
          };
    lastSpec = kept;
    return kept;
  }
  // Each key stays where the spread put it: only its value is swapped.
  const shared = {
    ...spec,
    name,
    resources: resourcesKept,
    labels: labelsKept,
    constraints: constraintsKept,
    retry,
    queue,
  };
  if (spec.command !== undefined) {
    (shared as { command: Command }).command = commands.intern(spec.command);
  }
  if (spec.handler !== undefined) {
    (shared as { handler: Handler }).handler = handlers.intern(spec.handler);
  }
  return shared;
};

/**
 * Whether `spec` has only the fields every spec has: its name, its command or handler, and the
 * six with defaults, in the order the decoders write them (job-spec-fast.ts, the schema).
 */
const usualFields = (spec: JobSpec): boolean => {
  let n = 0;
  for (const _ in spec) n++;
  return n === 8;
};
