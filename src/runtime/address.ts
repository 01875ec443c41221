/**
 * Actor addresses: `job/<id>`, `worker/<id>`, `pipeline/<runId>`, `scheduler`.
 * The kind is part of the type, so a job message sent to a worker address does not compile.
 */
export type Address<K extends string> = `${K}/${string}`;
export type AnyAddress = Address<string>;

export const address = <K extends string>(kind: K, id: string): Address<K> => `${kind}/${id}`;

export const kindOf = (a: AnyAddress): string => a.slice(0, a.indexOf("/"));
export const idOf = (a: AnyAddress): string => a.slice(a.indexOf("/") + 1);
