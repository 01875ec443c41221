/**
 * Overview: workers healthy and lost, capacity against reserved and measured CPU and memory, the
 * queue by priority, jobs per second in and out (all from the `overview` event), and the recent
 * failures (read again when a job fails).
 */
import { useState } from "preact/hooks";
import { get } from "../api.ts";
import { ErrorNote, Loading, Meter, StateBadge } from "../components/common.tsx";
import { useResource } from "../data.ts";
import { useEvents, useLive } from "../events.ts";
import { ago, cpu, memory, rate } from "../format.ts";
import { href } from "../route.ts";
import type { Job, JobEvent, Overview } from "../types.ts";

const failing = new Set(["failed", "timed_out"]);

export const OverviewPage = () => {
  const first = useResource(() => get<Overview>("/overview"), []);
  const [pushed, setPushed] = useState<Overview | undefined>(undefined);
  useEvents(["overview"], (d) => setPushed(d as Overview));
  const failures = useResource(
    () => get<{ jobs: Job[] }>("/jobs?state=failed,timed_out&order=newest&limit=10"),
    [],
  );
  useLive(["job"], failures.reload, (d) => failing.has((d as JobEvent).state));
  const o = pushed ?? first.value;
  return (
    <main aria-labelledby="title">
      <h1 id="title">Overview</h1>
      <ErrorNote error={first.error} />
      {o === undefined ? (
        <Loading />
      ) : (
        <div class="cards">
          <section class="card" aria-labelledby="workers-h">
            <h2 id="workers-h">Workers</h2>
            <p class="big">
              <span data-testid="workers-healthy">{o.workers.healthy}</span> healthy
            </p>
            <p>
              <span class={o.workers.lost > 0 ? "warn" : ""}>{o.workers.lost} lost</span> ·{" "}
              {o.workers.draining} draining
            </p>
          </section>
          <section class="card" aria-labelledby="rates-h">
            <h2 id="rates-h">Throughput</h2>
            <p class="big">{rate(o.rates.inPerSecond)} in</p>
            <p>{rate(o.rates.outPerSecond)} out · last 10 s</p>
          </section>
          <section class="card wide" aria-labelledby="cap-h">
            <h2 id="cap-h">Capacity</h2>
            <Meter
              label="CPU"
              total={o.capacity.cpuMillis}
              reserved={o.reserved.cpuMillis}
              measured={o.measured.cpuMillis}
              format={cpu}
            />
            <Meter
              label="Memory"
              total={o.capacity.memoryMb}
              reserved={o.reserved.memoryMb}
              measured={o.measured.memoryMb}
              format={memory}
            />
          </section>
          <section class="card" aria-labelledby="queue-h">
            <h2 id="queue-h">Queue</h2>
            <p class="big">
              <span data-testid="queued">{o.queued}</span> queued
            </p>
            <p>{o.placed} placed</p>
            {o.queue.length > 0 && (
              <table>
                <caption class="sr-only">queued jobs by priority</caption>
                <thead>
                  <tr>
                    <th scope="col">priority</th>
                    <th scope="col">jobs</th>
                  </tr>
                </thead>
                <tbody>
                  {o.queue.map((q) => (
                    <tr key={q.priority}>
                      <td>{q.priority}</td>
                      <td>{q.jobs}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </div>
      )}
      <section aria-labelledby="fail-h">
        <h2 id="fail-h">Recent failures</h2>
        <ErrorNote error={failures.error} />
        {failures.value?.jobs.length === 0 && <p class="muted">none</p>}
        <ul class="plain">
          {failures.value?.jobs.map((j) => (
            <li key={j.id}>
              <StateBadge state={j.state} />{" "}
              <a href={href(`/jobs/${j.id}`)}>{j.spec.name ?? j.id}</a>{" "}
              <span class="muted">
                {j.result?.error ?? ""} · {ago(j.updatedAt)}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
};
