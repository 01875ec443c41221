/**
 * Workers: each one's health, capacity against what is reserved and measured, labels, handlers
 * and the jobs running on it; admins can drain one. Read again when a worker changes state, when
 * the overview changes (usage), and when jobs start or end.
 */
import { get, post } from "../api.ts";
import { ActionButton, ErrorNote, Loading, Meter, StateBadge } from "../components/common.tsx";
import { useResource } from "../data.ts";
import { useLive } from "../events.ts";
import { ago, cpu, memory } from "../format.ts";
import { href } from "../route.ts";
import { can } from "../session.ts";
import type { Job, WorkerSummary } from "../types.ts";

const health = (w: WorkerSummary) =>
  w.draining ? "draining" : w.healthy ? w.state : w.state === "offline" ? "offline" : "lost";

export const WorkersPage = () => {
  const workers = useResource(() => get<{ workers: WorkerSummary[] }>("/workers"), []);
  const running = useResource(
    () => get<{ jobs: Job[] }>("/jobs?state=scheduled,running,cancelling&limit=1000"),
    [],
  );
  useLive(["worker", "overview"], workers.reload);
  useLive(["job"], running.reload);
  const byWorker = new Map<string, Job[]>();
  for (const j of running.value?.jobs ?? []) {
    if (j.workerId !== undefined)
      byWorker.set(j.workerId, [...(byWorker.get(j.workerId) ?? []), j]);
  }
  return (
    <main aria-labelledby="title">
      <h1 id="title">Workers</h1>
      <ErrorNote error={workers.error} />
      {workers.value === undefined ? (
        <Loading />
      ) : workers.value.workers.length === 0 ? (
        <p class="muted">no workers</p>
      ) : (
        <div class="cards">
          {workers.value.workers.map((w) => {
            const t = w.telemetry;
            const jobs = byWorker.get(w.id) ?? [];
            return (
              <section
                class="card wide"
                key={w.id}
                aria-label={`worker ${w.name}`}
                data-worker={w.id}
              >
                <h2>
                  {w.name} <StateBadge state={health(w)} />
                </h2>
                <p class="muted mono">
                  {w.id} · seen {w.lastHeartbeatAt > 0 ? ago(w.lastHeartbeatAt) : "never"}
                </p>
                <Meter
                  label="CPU"
                  total={w.capacity.cpuMillis}
                  reserved={w.reserved.cpuMillis}
                  measured={
                    t === null ? 0 : Math.round((t.cpuPercent / 100) * w.capacity.cpuMillis)
                  }
                  format={cpu}
                />
                <Meter
                  label="Memory"
                  total={w.capacity.memoryMb}
                  reserved={w.reserved.memoryMb}
                  measured={t?.memoryUsedMb ?? 0}
                  format={memory}
                />
                <p>
                  jobs {w.reserved.jobs}/{w.capacity.maxJobs}
                  {w.capacity.gpus > 0 ? ` · GPUs ${w.reserved.gpus}/${w.capacity.gpus}` : ""}
                </p>
                <p>
                  {Object.entries(w.labels).map(([k, v]) => (
                    <span class="tag" key={k}>
                      {k}={v}
                    </span>
                  ))}
                  {w.handlers.map((h) => (
                    <span class="tag handler" key={h}>
                      handler:{h}
                    </span>
                  ))}
                </p>
                {jobs.length > 0 && (
                  <ul class="plain">
                    {jobs.map((j) => (
                      <li key={j.id}>
                        <StateBadge state={j.state} />{" "}
                        <a href={href(`/jobs/${j.id}`)}>{j.spec.name}</a>
                      </li>
                    ))}
                  </ul>
                )}
                {can.admin() && w.healthy && !w.draining && w.state !== "offline" && (
                  <ActionButton
                    label={`Drain ${w.name}`}
                    kind="danger"
                    action={() =>
                      post(`/workers/${encodeURIComponent(w.id)}/drain`).then(workers.reload)
                    }
                  >
                    Drain
                  </ActionButton>
                )}
              </section>
            );
          })}
        </div>
      )}
    </main>
  );
};
