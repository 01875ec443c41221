/**
 * Virtual actors: in the store as their creator's durable record, in memory only as the input
 * their initial state is made from — no cell, no snapshot — until their first message makes
 * them live (see `Cells.spawn`). A queued job is one, and a backlog holds a million of them, so
 * what each costs here is what a queued job costs the runtime:
 * - they are kept per kind by id, the id string its creator holds anyway (a job's id is the key
 *   of its spec and of its queue entry), not by a `kind/id` address string made for the purpose;
 * - a kind whose creator can make the input again from what it keeps for the actor anyway
 *   gives a `VirtualCodec`: the input is kept packed (a job: nothing at all, or the one number
 *   its spec and id do not give) and unpacked when the actor is made live or looked at.
 */

/** How a kind keeps its virtual actors' inputs small. */
export interface VirtualCodec {
  /**
   * The actor's id as its input holds it: the key it is kept under. (Cut from the address, the
   * id would be a slice that keeps the whole address string alive.)
   */
  readonly idOf: (input: unknown) => string;
  /** What to keep for `input`: the input itself when it cannot be made again from less. */
  readonly pack: (id: string, input: unknown) => unknown;
  /** The input again; `undefined` if it can no longer be made (the actor is then not virtual). */
  readonly unpack: (id: string, packed: unknown) => unknown;
  /**
   * Where the packed inputs are kept, by id, when the kind's creator reads them too (a queued
   * job's is its spec, which the supervisor keeps nowhere else while the job waits). Only the
   * runtime writes it. A map of the runtime's own otherwise.
   */
  readonly store?: Map<string, unknown>;
  /** The actor `id` leaves the store for a live cell; `packed` is what was kept for it. */
  readonly taken?: (id: string, packed: unknown) => void;
}

/** Kinds without a codec: kept as they are, by the id cut from the address. */
const plain: Kind["codec"] = {
  pack: (_id: string, input: unknown) => input,
  unpack: (_id: string, p: unknown) => p,
};

interface Kind {
  readonly prefix: string;
  readonly codec: Omit<VirtualCodec, "idOf"> & Partial<Pick<VirtualCodec, "idOf">>;
  readonly byId: Map<string, unknown>;
}

/** The id `input` gives through the kind's codec, else the one cut from `address`. */
const idIn = (k: Kind, address: string, input: unknown): string =>
  k.codec.idOf?.(input) ?? address.slice(k.prefix.length);

export class VirtualActors {
  private readonly kinds: Kind[] = [];

  constructor(private readonly codecs: ReadonlyMap<string, VirtualCodec> = new Map()) {}

  /** The kind of `address` (`kind/id`), made on first use; the id starts at `prefix.length`. */
  private kindOf(address: string, make: boolean): Kind | undefined {
    for (const k of this.kinds) if (address.startsWith(k.prefix)) return k;
    if (!make) return undefined;
    const kind = address.slice(0, address.indexOf("/"));
    const codec = this.codecs.get(kind) ?? plain;
    const k = { prefix: `${kind}/`, codec, byId: codec.store ?? new Map() };
    this.kinds.push(k);
    return k;
  }

  get size(): number {
    let n = 0;
    for (const k of this.kinds) n += k.byId.size;
    return n;
  }

  has(address: string): boolean {
    const k = this.kindOf(address, false);
    return k !== undefined && k.byId.has(address.slice(k.prefix.length));
  }

  /**
   * `has`, for the actor `input` is the input of (a spawn's check): its id taken from the input
   * where the kind's codec can, the string its creator holds (whose hash is known already),
   * not cut from the address and hashed anew.
   */
  hasFor(address: string, input: unknown): boolean {
    const k = this.kindOf(address, false);
    return k !== undefined && k.byId.has(idIn(k, address, input));
  }

  set(address: string, input: unknown): void {
    const k = this.kindOf(address, true)!;
    const id = idIn(k, address, input);
    if (k.prefix.length + id.length !== address.length || !address.endsWith(id)) {
      throw new Error(`the input of ${address} names another actor: ${id}`);
    }
    k.byId.set(id, k.codec.pack(id, input));
  }

  /** The input of a virtual actor, left virtual; `undefined` when it is not one. */
  input(address: string): unknown {
    const k = this.kindOf(address, false);
    if (k === undefined) return undefined;
    const id = address.slice(k.prefix.length);
    return k.byId.has(id) ? k.codec.unpack(id, k.byId.get(id)) : undefined;
  }

  /** The input of a virtual actor, which is virtual no more; `undefined` when it is not one. */
  take(address: string): unknown {
    const k = this.kindOf(address, false);
    if (k === undefined) return undefined;
    const id = address.slice(k.prefix.length);
    if (!k.byId.has(id)) return undefined;
    const packed = k.byId.get(id);
    k.byId.delete(id);
    k.codec.taken?.(id, packed);
    return k.codec.unpack(id, packed);
  }
}
