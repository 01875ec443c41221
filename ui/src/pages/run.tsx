/**
 * One pipeline run: its DAG with each step's state (live), its input and output, a button for
 * each signal its machine takes now (for `submit` tokens), and cancel (for admins).
 */
import { get, post } from "../api.ts";
import { ActionButton, ErrorNote, Loading, StateBadge } from "../components/common.tsx";
import { Dag } from "../components/dag.tsx";
import { useResource } from "../data.ts";
import { useLive } from "../events.ts";
import { duration } from "../format.ts";
import { href } from "../route.ts";
import { can } from "../session.ts";
import type { PipelineRun, RunEvent } from "../types.ts";

export const RunPage = ({ id }: { id: string }) => {
  const run = useResource(() => get<PipelineRun>(`/runs/${encodeURIComponent(id)}`), [id]);
  const r = run.value;
  // Its own events, and any job's while it runs: a step's job starting or ending moves it on.
  useLive(["run", "job"], run.reload, (d) => {
    const runId = (d as Partial<RunEvent>).runId;
    return runId !== undefined ? runId === id : r?.state === "running";
  });
  if (r === undefined) {
    return (
      <main>
        <h1>Run</h1>
        <ErrorNote error={run.error} />
        {run.error === undefined && <Loading />}
      </main>
    );
  }
  const signals = r.signals ?? [];
  return (
    <main aria-labelledby="title">
      <h1 id="title">
        Run of <a href={href("/pipelines", { pipeline: r.pipeline })}>{r.pipeline}</a>{" "}
        <StateBadge state={r.state} />
      </h1>
      <p class="muted mono">
        {r.id} · {duration(r.updatedAt - r.createdAt)}
      </p>
      {r.reason !== undefined && <p class="error">{r.reason}</p>}
      <div class="actions">
        {r.state === "running" && can.submit() && signals.length > 0 && (
          <span role="group" aria-label="signals this run takes now" class="signals">
            {signals.map((s) => (
              <ActionButton
                key={s}
                label={`Signal ${s}`}
                kind="primary"
                action={() =>
                  post<PipelineRun>(`/runs/${encodeURIComponent(id)}/signal`, { type: s }).then(
                    run.reload,
                  )
                }
              >
                Signal: {s}
              </ActionButton>
            ))}
          </span>
        )}
        {r.state === "running" && can.admin() && (
          <ActionButton
            label="Cancel run"
            kind="danger"
            action={() => post(`/runs/${encodeURIComponent(id)}/cancel`).then(run.reload)}
          >
            Cancel
          </ActionButton>
        )}
      </div>
      {r.state === "running" && signals.length > 0 && (
        <p class="muted" data-testid="signals">
          waiting for a signal: {signals.join(", ")}
        </p>
      )}
      <section aria-labelledby="dag-h" class="card dag-card">
        <h2 id="dag-h">Steps</h2>
        <Dag steps={r.steps ?? []} />
      </section>
      <div class="columns">
        <section aria-labelledby="in-h">
          <h2 id="in-h">Input</h2>
          <pre class="json">
            {r.input === undefined ? "none" : JSON.stringify(r.input, null, 2)}
          </pre>
        </section>
        <section aria-labelledby="out-h">
          <h2 id="out-h">Output</h2>
          <pre class="json">
            {r.output === undefined ? "none yet" : JSON.stringify(r.output, null, 2)}
          </pre>
        </section>
      </div>
      <p>
        <a href={href("/jobs", { run: r.id })}>the run's jobs</a>
      </p>
    </main>
  );
};
