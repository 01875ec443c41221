/**
 * Where the page is: the hash (`#/jobs/<id>?tab=logs`), so the server serves one file for every
 * page and a reload stays on the same page.
 */
import { signal } from "@preact/signals";

export interface Route {
  readonly parts: ReadonlyArray<string>;
  readonly params: URLSearchParams;
}

const parse = (): Route => {
  const hash = location.hash.replace(/^#/, "") || "/";
  const q = hash.indexOf("?");
  const path = q < 0 ? hash : hash.slice(0, q);
  return {
    parts: path
      .split("/")
      .filter((p) => p !== "")
      .map(decodeURIComponent),
    params: new URLSearchParams(q < 0 ? "" : hash.slice(q + 1)),
  };
};

export const route = signal<Route>(parse());
addEventListener("hashchange", () => {
  route.value = parse();
});

export const href = (path: string, params?: Record<string, string | undefined>): string => {
  const set = Object.entries(params ?? {}).filter(
    (e): e is [string, string] => e[1] !== undefined && e[1] !== "",
  );
  return `#${path}${set.length > 0 ? `?${new URLSearchParams(set)}` : ""}`;
};

export const navigate = (path: string, params?: Record<string, string | undefined>): void => {
  location.hash = href(path, params).slice(1);
};

/** Changes the address without a new history entry (the one-time code leaves it at once). */
export const replace = (path: string): void => {
  history.replaceState(null, "", `#${path}`);
  route.value = parse();
};
