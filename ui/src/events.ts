/**
 * The page's one live connection: `GET /api/v1/events` as Server-Sent Events, read with fetch
 * (so it carries the token in a header, as every API call does, not in the URL). Pages
 * subscribe to event names (`job`, `run`, `worker`, `overview`, ...); `open` is delivered on
 * every (re)connection and `resync` when the server skipped events: both mean "read what you
 * show again". A lost connection is retried; a refused token ends the session.
 */
import { fetchEventSource } from "@microsoft/fetch-event-source";
import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { authHeaders } from "./api.ts";
import { session } from "./session.ts";

type Listener = (data: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

/** Whether the live connection is up, for the header's indicator. */
export const live = signal(false);

const emit = (event: string, data: unknown) => {
  for (const l of listeners.get(event) ?? []) l(data);
};

class Refused extends Error {}

let controller: AbortController | undefined;

export const connectEvents = (): void => {
  controller?.abort();
  const mine = new AbortController();
  controller = mine;
  void fetchEventSource("/api/v1/events", {
    headers: authHeaders(),
    signal: mine.signal,
    openWhenHidden: true,
    onopen: async (res) => {
      if (res.status === 401) throw new Refused();
      if (!res.ok) throw new Error(`events: HTTP ${res.status}`);
      live.value = true;
      emit("open", null);
    },
    onmessage: (m) => {
      if (m.event === "" || m.event === "hello") return;
      emit(m.event, m.data === "" ? null : JSON.parse(m.data));
    },
    onclose: () => {
      live.value = false;
      // The server ended the stream (it is shutting down): try again, as after an error.
      throw new Error("events: closed");
    },
    onerror: (e) => {
      live.value = false;
      if (e instanceof Refused) {
        session.signOut("the token was refused");
        throw e;
      }
      return 1000;
    },
  }).catch(() => {
    if (controller === mine) live.value = false;
  });
};

export const disconnectEvents = (): void => {
  controller?.abort();
  controller = undefined;
  live.value = false;
};

/** Calls `handler` for each of the named events while the component is mounted. */
export const useEvents = (names: ReadonlyArray<string>, handler: Listener): void => {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const l: Listener = (d) => latest.current(d);
    for (const n of names) {
      const set = listeners.get(n) ?? new Set();
      set.add(l);
      listeners.set(n, set);
    }
    return () => {
      for (const n of names) listeners.get(n)?.delete(l);
    };
  }, [names.join(",")]);
};

/**
 * Reloads with `load` now, again after every `open`/`resync`, and after any of `names` (batched:
 * a burst of events costs one read). What the page shows comes from the API; events only say
 * when to read it again.
 */
export const useLive = (
  names: ReadonlyArray<string>,
  load: () => void,
  when?: (d: unknown) => boolean,
) => {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => () => clearTimeout(timer.current), []);
  useEvents([...names, "open", "resync"], (d) => {
    if (when !== undefined && d !== null && !when(d)) return;
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, 100);
  });
};
