/**
 * One job: its state (live), why it waits (the scheduler's explanation, from the placement
 * route), its attempts and the timeline of its states, its spec and result, and its log, live.
 * Admins get cancel (while it is unfinished) and retry (once it is finished).
 */
import { get, post } from "../api.ts";
import { ActionButton, ErrorNote, Loading, StateBadge } from "../components/common.tsx";
import { LogView } from "../components/log-view.tsx";
import { useResource } from "../data.ts";
import { useLive } from "../events.ts";
import { duration, time } from "../format.ts";
import { href, navigate } from "../route.ts";
import { can } from "../session.ts";
import type { JobDetail, JobEvent, Placement } from "../types.ts";

const terminal = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

const Attempts = ({ job }: { job: JobDetail }) => {
  const byAttempt = new Map<number, Array<JobDetail["transitions"][number]>>();
  for (const t of job.transitions)
    byAttempt.set(t.attempt, [...(byAttempt.get(t.attempt) ?? []), t]);
  const attempts = [...byAttempt].filter(([n]) => n > 0);
  if (attempts.length === 0) return <p class="muted">not started yet</p>;
  return (
    <table class="list">
      <caption class="sr-only">attempts</caption>
      <thead>
        <tr>
          <th scope="col">attempt</th>
          <th scope="col">worker</th>
          <th scope="col">ended</th>
          <th scope="col">took</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map(([n, ts]) => {
          const last = ts[ts.length - 1]!;
          return (
            <tr key={n}>
              <td>{n}</td>
              <td>{ts.find((t) => t.workerId !== undefined)?.workerId ?? "-"}</td>
              <td>
                <StateBadge state={last.state} />
                {last.exitCode !== undefined ? ` exit ${last.exitCode}` : ""}
              </td>
              <td>{duration(last.at - ts[0]!.at)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
};

export const JobPage = ({ id }: { id: string }) => {
  const job = useResource(() => get<JobDetail>(`/jobs/${encodeURIComponent(id)}`), [id]);
  const placement = useResource(
    () => get<Placement>(`/jobs/${encodeURIComponent(id)}/placement`),
    [id],
  );
  const reload = () => {
    job.reload();
    placement.reload();
  };
  useLive(["job", "placement", "worker"], reload, (d) => {
    const jobId = (d as Partial<JobEvent>).jobId;
    return jobId === undefined || jobId === id;
  });
  const j = job.value;
  if (j === undefined) {
    return (
      <main>
        <h1>Job</h1>
        <ErrorNote error={job.error} />
        {job.error === undefined && <Loading />}
      </main>
    );
  }
  const done = terminal.has(j.state);
  const p = placement.value;
  return (
    <main aria-labelledby="title">
      <h1 id="title">
        {j.spec.name} <StateBadge state={j.state} />
      </h1>
      <p class="muted">
        <span class="mono">{j.id}</span> · queue <strong>{j.spec.queue}</strong>
      </p>
      {j.pipelineRunId !== undefined && (
        <p>
          step <strong>{j.pipelineStep}</strong> of run{" "}
          <a href={href(`/runs/${j.pipelineRunId}`)}>{j.pipelineRunId}</a>
        </p>
      )}
      <div class="actions">
        {can.admin() && !done && (
          <ActionButton
            label="Cancel"
            kind="danger"
            action={() => post(`/jobs/${encodeURIComponent(id)}/cancel`).then(reload)}
          />
        )}
        {can.admin() && done && (
          <ActionButton
            label="Retry"
            action={() =>
              post<{ job: { id: string } }>(`/jobs/${encodeURIComponent(id)}/retry`).then((r) =>
                navigate(`/jobs/${r.job.id}`),
              )
            }
          />
        )}
      </div>
      {!done && p !== undefined && !p.placed && (
        <section class="card waiting" aria-labelledby="why-h">
          <h2 id="why-h">Why it waits</h2>
          <p data-testid="why">
            {p.reason ?? j.waiting?.reason ?? "waiting for the scheduler's next pass"}
          </p>
          {p.never && <p class="warn">No registered worker could ever take it as specified.</p>}
          {p.rejected !== null && (
            <ul class="plain">
              {Object.entries(p.rejected)
                .filter(([, n]) => n > 0)
                .map(([why, n]) => (
                  <li key={why}>
                    {n} worker(s): {why}
                  </li>
                ))}
            </ul>
          )}
        </section>
      )}
      {j.result?.error !== undefined && (
        <p class="error" role="status">
          {j.result.error}
        </p>
      )}
      <div class="columns">
        <section aria-labelledby="att-h">
          <h2 id="att-h">Attempts</h2>
          <Attempts job={j} />
        </section>
        <section aria-labelledby="tl-h">
          <h2 id="tl-h">Timeline</h2>
          <ol class="timeline" data-testid="timeline">
            {j.transitions.map((t, i) => (
              <li key={i}>
                <time>{time(t.at)}</time> <StateBadge state={t.state} />
                {t.attempt > 0 ? ` attempt ${t.attempt}` : ""}
                {t.workerId !== undefined ? ` on ${t.workerId}` : ""}
              </li>
            ))}
          </ol>
        </section>
      </div>
      <h2>Log</h2>
      <LogView jobId={id} />
      <details>
        <summary>Spec</summary>
        <pre class="json">{JSON.stringify(j.spec, null, 2)}</pre>
      </details>
      {j.result !== undefined && (
        <details open>
          <summary>Result</summary>
          <pre class="json">{JSON.stringify(j.result, null, 2)}</pre>
        </details>
      )}
    </main>
  );
};
