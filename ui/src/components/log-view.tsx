/**
 * A job's log, live: the API's log stream (`/jobs/:id/logs/stream`, Server-Sent Events: the lines
 * stored so far, then new ones, then `end`). Follow keeps the newest line in view; pause holds
 * new lines back (and says how many) until resumed; search shows only the lines that contain
 * the text.
 */
import { fetchEventSource } from "@microsoft/fetch-event-source";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { authHeaders } from "../api.ts";
import type { LogChunk } from "../types.ts";

interface Line {
  readonly key: string;
  readonly stream: string;
  readonly text: string;
}

const linesOf = (c: LogChunk): Line[] =>
  c.data
    .replace(/\n$/, "")
    .split("\n")
    .map((text, i) => ({ key: `${c.seq}.${i}`, stream: c.stream, text }));

export const LogView = ({ jobId }: { jobId: string }) => {
  const [lines, setLines] = useState<Line[]>([]);
  const [held, setHeld] = useState<Line[]>([]);
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState("");
  const [ended, setEnded] = useState<string | null>(null);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setLines([]);
    setHeld([]);
    setEnded(null);
    const abort = new AbortController();
    void fetchEventSource(`/api/v1/jobs/${encodeURIComponent(jobId)}/logs/stream`, {
      headers: authHeaders(),
      signal: abort.signal,
      openWhenHidden: true,
      onmessage: (m) => {
        if (m.event === "log") {
          const next = linesOf(JSON.parse(m.data) as LogChunk);
          if (pausedRef.current) setHeld((h) => [...h, ...next]);
          else setLines((l) => [...l, ...next]);
        } else if (m.event === "end") {
          setEnded((JSON.parse(m.data) as { state: string | null }).state ?? "stream closed");
        }
      },
      onclose: () => {
        // Ended by the server after `end`: no reconnection.
        abort.abort();
      },
      onerror: (e) => {
        throw e;
      },
    }).catch(() => undefined);
    return () => abort.abort();
  }, [jobId]);

  useLayoutEffect(() => {
    if (follow && box.current !== null) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  const shown =
    search === ""
      ? lines
      : lines.filter((l) => l.text.toLowerCase().includes(search.toLowerCase()));
  return (
    <section class="logs" aria-label="log">
      <div class="toolbar">
        <label>
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.currentTarget.checked)}
          />{" "}
          follow
        </label>
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            if (paused) {
              setLines((l) => [...l, ...held]);
              setHeld([]);
            }
            setPaused(!paused);
          }}
        >
          {paused ? `resume (${held.length} new)` : "pause"}
        </button>
        <label>
          search{" "}
          <input
            type="search"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            placeholder="text in a line"
          />
        </label>
        <span class="muted" aria-live="polite">
          {lines.length} lines{ended !== null ? ` · ended (${ended})` : " · live"}
        </span>
      </div>
      <pre class="log" ref={box} tabIndex={0} aria-label="log lines" data-testid="log">
        {shown.map((l) => (
          <div key={l.key} class={`log-line ${l.stream}`}>
            {l.text}
          </div>
        ))}
      </pre>
    </section>
  );
};
