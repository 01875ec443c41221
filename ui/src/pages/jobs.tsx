/**
 * Jobs: filtered by state, handler, queue, label and pipeline run, newest first, one page of the API's cursor at
 * a time (never the whole list). Live: a listed job's state changes in place as its events
 * arrive; a new job shows up on the first page.
 */
import { useRef, useState } from "preact/hooks";
import { get, query } from "../api.ts";
import { ErrorNote, Loading, StateBadge } from "../components/common.tsx";
import { useResource } from "../data.ts";
import { useEvents, useLive } from "../events.ts";
import { ago } from "../format.ts";
import { href, navigate, route } from "../route.ts";
import type { Job, JobEvent, JobState } from "../types.ts";

const states: ReadonlyArray<JobState> = [
  "delayed",
  "queued",
  "scheduled",
  "running",
  "retry_wait",
  "cancelling",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
];

const pageSize = 50;

/** The free-text filters: label, query parameter (as the route names it) and placeholder. */
const textFilters: ReadonlyArray<readonly [string, string, string]> = [
  ["handler", "handler", "handler name"],
  ["queue", "queue", "queue name"],
  ["label", "label", "key=value"],
  ["pipeline run", "run", "run id"],
];

export const JobsPage = () => {
  const params = route.value.params;
  const filter = {
    state: params.get("state") ?? undefined,
    label: params.get("label") ?? undefined,
    pipelineRunId: params.get("run") ?? undefined,
    handler: params.get("handler") ?? undefined,
    queue: params.get("queue") ?? undefined,
    cursor: params.get("cursor") ?? undefined,
  };
  const page = useResource(
    () =>
      get<{ jobs: Job[]; next: string | null }>(
        `/jobs${query({ ...filter, order: "newest", limit: String(pageSize) })}`,
      ),
    [filter.state, filter.label, filter.pipelineRunId, filter.handler, filter.queue, filter.cursor],
  );
  const [changed, setChanged] = useState<ReadonlyMap<string, JobEvent>>(new Map());
  const known = useRef(new Set<string>());
  known.current = new Set(page.value?.jobs.map((j) => j.id) ?? []);
  useEvents(["job"], (d) => {
    const e = d as JobEvent;
    if (known.current.has(e.jobId)) setChanged((m) => new Map(m).set(e.jobId, e));
  });
  useLive(
    ["job"],
    page.reload,
    (d) => filter.cursor === undefined && !known.current.has((d as JobEvent).jobId),
  );

  const set = (key: string, value: string) =>
    navigate("/jobs", {
      state: filter.state,
      label: filter.label,
      run: filter.pipelineRunId,
      handler: filter.handler,
      queue: filter.queue,
      [key]: value,
      cursor: undefined,
    });

  return (
    <main aria-labelledby="title">
      <h1 id="title">Jobs</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="filter jobs">
        <label>
          state
          <select value={filter.state ?? ""} onChange={(e) => set("state", e.currentTarget.value)}>
            <option value="">any</option>
            {states.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {textFilters.map(([text, name, placeholder]) => (
          <label key={name}>
            {text}
            <input
              name={name}
              placeholder={placeholder}
              value={params.get(name) ?? ""}
              onChange={(e) => set(name, e.currentTarget.value)}
            />
          </label>
        ))}
      </form>
      <ErrorNote error={page.error} />
      {page.value === undefined ? (
        <Loading />
      ) : page.value.jobs.length === 0 ? (
        <p class="muted">no jobs</p>
      ) : (
        <table class="list" data-testid="jobs">
          <caption class="sr-only">jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">state</th>
              <th scope="col">queue</th>
              <th scope="col">attempt</th>
              <th scope="col">worker</th>
              <th scope="col">created</th>
              <th scope="col">id</th>
            </tr>
          </thead>
          <tbody>
            {page.value.jobs.map((j) => {
              const live = changed.get(j.id);
              const state = live !== undefined && live.at >= j.updatedAt ? live.state : j.state;
              return (
                <tr key={j.id} data-job={j.id}>
                  <td>
                    <a href={href(`/jobs/${j.id}`)}>{j.spec.name}</a>
                  </td>
                  <td>
                    <StateBadge state={state} />
                  </td>
                  <td>{j.spec.queue}</td>
                  <td>{live?.attempt ?? j.attempt}</td>
                  <td>{live?.workerId ?? j.workerId ?? "-"}</td>
                  <td>{ago(j.createdAt)}</td>
                  <td class="mono muted">{j.id}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="pages">
        {filter.cursor !== undefined && (
          <button type="button" onClick={() => history.back()}>
            ← previous
          </button>
        )}
        {page.value?.next != null && (
          <a
            class="button"
            href={href("/jobs", {
              state: filter.state,
              label: filter.label,
              run: filter.pipelineRunId,
              handler: filter.handler,
              queue: filter.queue,
              cursor: page.value.next,
            })}
          >
            next →
          </a>
        )}
      </nav>
    </main>
  );
};
