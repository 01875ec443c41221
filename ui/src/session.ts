/**
 * Who is signed in: the API token (kept in the tab's sessionStorage, never in a URL) and the
 * role the API says it has. `hodei ui` links land on `#/login?code=...`: the code is traded for
 * the token once (POST /api/v1/ui/exchange) and removed from the address at once.
 */
import { signal } from "@preact/signals";
import type { Role } from "./types.ts";

const key = "hodei.token";

const stored = (): string | null => {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
};

export const session = {
  token: signal<string | null>(stored()),
  role: signal<Role | null>(null),
  /** Why the last session ended, shown on the sign-in form. */
  notice: signal<string | null>(null),
  signIn(token: string): void {
    try {
      sessionStorage.setItem(key, token);
    } catch {
      // Private mode without storage: the token lives as long as the page.
    }
    session.notice.value = null;
    session.token.value = token;
  },
  signOut(notice: string | null = null): void {
    try {
      sessionStorage.removeItem(key);
    } catch {
      // Nothing stored.
    }
    session.notice.value = notice;
    session.role.value = null;
    session.token.value = null;
  },
};

/** What the role may do: the API checks again; this only hides buttons that would be refused. */
export const can = {
  submit: () => session.role.value === "submit" || session.role.value === "admin",
  admin: () => session.role.value === "admin",
};
