/**
 * Pipelines and their runs: the pipelines this supervisor runs (with a button to start one, for
 * `submit` tokens), and the runs, newest first, a page at a time; live as runs start and end.
 */
import { get, post, query } from "../api.ts";
import { ActionButton, ErrorNote, Loading, StateBadge } from "../components/common.tsx";
import { useResource } from "../data.ts";
import { useLive } from "../events.ts";
import { ago } from "../format.ts";
import { href, navigate, route } from "../route.ts";
import { can } from "../session.ts";
import type { PipelineRun, PipelineSummary } from "../types.ts";

export const PipelinesPage = () => {
  const params = route.value.params;
  const pipeline = params.get("pipeline") ?? undefined;
  const cursor = params.get("cursor") ?? undefined;
  const pipelines = useResource(() => get<{ pipelines: PipelineSummary[] }>("/pipelines"), []);
  const runs = useResource(
    () =>
      get<{ runs: PipelineRun[]; next: string | null }>(
        `/runs${query({ pipeline, cursor, limit: "50" })}`,
      ),
    [pipeline, cursor],
  );
  useLive(["run"], runs.reload);
  return (
    <main aria-labelledby="title">
      <h1 id="title">Pipelines</h1>
      <ErrorNote error={pipelines.error} />
      {pipelines.value === undefined ? (
        <Loading />
      ) : (
        <table class="list" data-testid="pipelines">
          <caption class="sr-only">pipelines</caption>
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">source</th>
              <th scope="col">steps</th>
              <th scope="col">version</th>
              <th scope="col">
                <span class="sr-only">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pipelines.value.pipelines.map((p) => (
              <tr key={p.name}>
                <td>
                  <a href={href("/pipelines", { pipeline: p.name })}>{p.name}</a>
                </td>
                <td>{p.source}</td>
                <td>{p.steps?.map((s) => s.name).join(", ") ?? "machine"}</td>
                <td class="mono muted">{p.version}</td>
                <td>
                  {can.submit() && (
                    <ActionButton
                      label={`Start a run of ${p.name}`}
                      action={() =>
                        post<PipelineRun>(`/pipelines/${encodeURIComponent(p.name)}/runs`, {}).then(
                          (r) => navigate(`/runs/${r.id}`),
                        )
                      }
                    >
                      Start run
                    </ActionButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>
        Runs{pipeline !== undefined ? ` of ${pipeline}` : ""}{" "}
        {pipeline !== undefined && (
          <a href={href("/pipelines")} class="small">
            (all)
          </a>
        )}
      </h2>
      <ErrorNote error={runs.error} />
      {runs.value?.runs.length === 0 && <p class="muted">no runs</p>}
      {runs.value !== undefined && runs.value.runs.length > 0 && (
        <table class="list" data-testid="runs">
          <caption class="sr-only">runs</caption>
          <thead>
            <tr>
              <th scope="col">run</th>
              <th scope="col">pipeline</th>
              <th scope="col">state</th>
              <th scope="col">started</th>
            </tr>
          </thead>
          <tbody>
            {runs.value.runs.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td>
                  <a href={href(`/runs/${r.id}`)} class="mono">
                    {r.id}
                  </a>
                </td>
                <td>{r.pipeline}</td>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>{ago(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="pages">
        {cursor !== undefined && (
          <button type="button" onClick={() => history.back()}>
            ← previous
          </button>
        )}
        {runs.value?.next != null && (
          <a class="button" href={href("/pipelines", { pipeline, cursor: runs.value.next })}>
            next →
          </a>
        )}
      </nav>
    </main>
  );
};
