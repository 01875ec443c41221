/**
 * The API, from the page: every call carries the session's token; an answer that is not a
 * success throws an ApiError with the API's own message. A 401 ends the session (the token is
 * unknown, revoked or expired), so the page asks for a token again.
 */
import { session } from "./session.ts";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const authHeaders = (): Record<string, string> => {
  const token = session.token.value;
  return token === null ? {} : { authorization: `Bearer ${token}` };
};

export const api = async <A>(method: "GET" | "POST", path: string, body?: unknown): Promise<A> => {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      ...authHeaders(),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text === "" ? null : JSON.parse(text);
  } catch {
    data = null;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && path !== "/ui/exchange") session.signOut("the token was refused");
    throw new ApiError(res.status, error?.code ?? "error", error?.message ?? `HTTP ${res.status}`);
  }
  return data as A;
};

export const get = <A>(path: string) => api<A>("GET", path);
export const post = <A>(path: string, body?: unknown) => api<A>("POST", path, body);

/** `/jobs?state=queued&...` from the fields that are set. */
export const query = (params: Record<string, string | undefined>): string => {
  const set = Object.entries(params).filter(
    (e): e is [string, string] => e[1] !== undefined && e[1] !== "",
  );
  return set.length === 0 ? "" : `?${new URLSearchParams(set)}`;
};
