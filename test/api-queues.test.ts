/**
 * The queue routes over HTTP: list and show queues with their counts, pause/resume and limits
 * (admin only), bad input refused with a 400 that changes nothing, a read token refused with a
 * 403 that changes nothing, and settings that outlive the supervisor (same store, new core).
 * Jobs are placed by the real core on a registered worker (the harness's fake agent).
 */
import { afterEach, describe, expect, it } from "vitest";
import { makeMemoryStore } from "../src/persistence/memory/store.ts";
import { command, eventually, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
afterEach(async () => h?.close());

const put = (body: unknown) => ({
  method: "PUT",
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const post = (body?: unknown) => ({
  method: "POST",
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

const submit = async (name: string, extra: object = {}) => {
  const r = await h.json("/api/v1/jobs", post(command(name, extra)));
  expect(r.status).toBe(201);
  return r.body.id as string;
};

const stored = () => h.run(h.store.queues.list());

describe("queue routes", () => {
  it("lists the default queue and shows any well-formed queue with the defaults", async () => {
    h = await startApi();
    const list = await h.json("/api/v1/queues");
    expect(list.status).toBe(200);
    expect(list.body.queues).toEqual([
      {
        name: "default",
        paused: false,
        concurrency: null,
        rateLimit: null,
        queued: 0,
        running: 0,
        rateLimited: 0,
      },
    ]);
    expect((await h.json("/api/v1/queues/never.used-1")).body).toMatchObject({
      name: "never.used-1",
      paused: false,
      queued: 0,
    });
  });

  it("sets, shows and stores limits; null removes one; a field left out is kept", async () => {
    h = await startApi();
    const set = await h.json("/api/v1/queues/mail", put({ concurrency: 2 }));
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ name: "mail", concurrency: 2, rateLimit: null });
    const limited = await h.json(
      "/api/v1/queues/mail",
      put({ rateLimit: { max: 5, perMs: 1000 } }),
    );
    expect(limited.body).toMatchObject({ concurrency: 2, rateLimit: { max: 5, perMs: 1000 } });
    await h.json("/api/v1/queues/mail", put({ concurrency: null }));
    expect(await stored()).toEqual([
      { name: "mail", paused: false, concurrency: null, rateLimit: { max: 5, perMs: 1000 } },
    ]);
    const names = (await h.json("/api/v1/queues")).body.queues.map((q: any) => q.name);
    expect(names).toEqual(["default", "mail"]);
  });

  it("refuses bad input with a 400 and changes nothing", async () => {
    h = await startApi();
    await h.json("/api/v1/queues/mail", put({ concurrency: 3 }));
    const before = await stored();
    const bad: Array<[string, RequestInit]> = [
      ["/api/v1/queues/bad%20name", { method: "GET" }],
      ["/api/v1/queues/-x", put({ paused: true })],
      [`/api/v1/queues/${"q".repeat(65)}/pause`, post()],
      ["/api/v1/queues/mail", put("{not json")],
      ["/api/v1/queues/mail", put({ concurrency: 0 })],
      ["/api/v1/queues/mail", put({ concurrency: "2" })],
      ["/api/v1/queues/mail", put({ rateLimit: { max: 1 } })],
      ["/api/v1/queues/mail", put({ rateLimit: { max: 0, perMs: 1000 } })],
      ["/api/v1/queues/mail", put({ paused: "yes" })],
      ["/api/v1/queues/mail", put({ priority: 1 })],
      ["/api/v1/queues/mail", put([])],
      ["/api/v1/jobs?queue=a%20b", { method: "GET" }],
    ];
    for (const [path, init] of bad) {
      const r = await h.json(path, init);
      expect(r.status, `${init.method} ${path}`).toBe(400);
      expect(r.body.error.code).toMatch(/^invalid_(input|json)$/);
    }
    expect(await stored()).toEqual(before);
    expect((await h.json("/api/v1/queues/mail")).body).toMatchObject({ concurrency: 3 });
    // A job naming a malformed queue is refused too.
    const job = await h.json("/api/v1/jobs", post(command("x", { queue: "a b" })));
    expect(job.status).toBe(400);
    expect(job.body.error.details[0].path).toBe("queue");
  });

  it("refuses writes to a read or submit token with a 403 that changes nothing", async () => {
    h = await startApi();
    for (const role of ["read", "submit"] as const) {
      const token = await h.tokenOf(role);
      const as = (init: RequestInit) => ({
        ...init,
        headers: { authorization: `Bearer ${token}` },
      });
      expect((await h.json("/api/v1/queues/mail/pause", as(post()))).status).toBe(403);
      expect((await h.json("/api/v1/queues/mail", as(put({ paused: true })))).status).toBe(403);
      expect((await h.json("/api/v1/queues/mail", as({ method: "GET" }))).status).toBe(200);
    }
    expect(await stored()).toEqual([]);
    expect((await h.json("/api/v1/queues/mail")).body.paused).toBe(false);
  });
});

describe("queues and jobs", () => {
  it("pause keeps jobs queued and says why; resume places them in order; ?queue= lists them", async () => {
    h = await startApi({ config: { placeOnSubmit: false } });
    await h.register("w");
    expect((await h.json("/api/v1/queues/mail/pause", post())).body.paused).toBe(true);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(`m${i}`, { queue: "mail" }));
    const other = await submit("other");
    await h.assignment(other);
    await h.run(h.core.settled);
    expect(h.assigned.map(([, a]) => a.jobId)).toEqual([other]);
    const q = await h.json("/api/v1/queues/mail");
    expect(q.body).toMatchObject({ paused: true, queued: 3, running: 0 });
    const placement = await h.json(`/api/v1/jobs/${ids[0]}/placement`);
    expect(placement.body).toMatchObject({ state: "queued", reason: "queue `mail` is paused" });
    const job = await h.json(`/api/v1/jobs/${ids[1]}`);
    expect(job.body).toMatchObject({
      spec: { queue: "mail" },
      waiting: { reason: "queue `mail` is paused" },
    });
    const listed = await h.json("/api/v1/jobs?queue=mail");
    expect(listed.body.jobs.map((j: any) => j.id)).toEqual(ids);

    expect((await h.json("/api/v1/queues/mail/resume", post())).body.paused).toBe(false);
    for (const id of ids) await h.assignment(id);
    expect(h.assigned.map(([, a]) => a.jobId)).toEqual([other, ...ids]);
    expect((await h.json("/api/v1/queues/mail")).body).toMatchObject({ queued: 0, running: 3 });
  });

  it("a rate limited job says so, with the time to its slot, and goes when the slot opens", async () => {
    h = await startApi({ config: { placeOnSubmit: false } });
    await h.register("w");
    await h.json("/api/v1/queues/api", put({ rateLimit: { max: 1, perMs: 1500 } }));
    const first = await submit("a1", { queue: "api" });
    const second = await submit("a2", { queue: "api" });
    await h.assignment(first);
    await h.run(h.core.settled);
    const why = await h.json(`/api/v1/jobs/${second}/placement`);
    expect(why.body.state).toBe("queued");
    expect(why.body.reason).toMatch(/^rate limited: queue `api`, next slot in \d+ ms$/);
    expect(Number(/(\d+) ms/.exec(why.body.reason)![1])).toBeLessThanOrEqual(1500);
    // No one sends the scheduler anything more: its own timer places the job.
    await eventually(() => h.assigned.find(([, a]) => a.jobId === second), "placed", 10_000);
    const at = (id: string) => h.assigned.findIndex(([, a]) => a.jobId === id);
    expect(at(second)).toBeGreaterThan(at(first));
  });

  it("a job's own rate limit key holds the jobs naming it, in any queue, and no others", async () => {
    h = await startApi({ config: { placeOnSubmit: false } });
    await h.register("w");
    const rateLimit = { key: "api.github", max: 1, perMs: 60_000 };
    const first = await submit("g1", { rateLimit });
    const second = await submit("g2", { rateLimit, queue: "other" });
    const plain = await submit("plain", { queue: "other" });
    await h.assignment(first);
    await h.assignment(plain);
    await h.run(h.core.settled);
    const why = await h.json(`/api/v1/jobs/${second}/placement`);
    expect(why.body.state).toBe("queued");
    expect(why.body.reason).toMatch(/^rate limited: key `api\.github`, next slot in \d+ ms$/);
    expect((await h.json("/api/v1/queues/other")).body).toMatchObject({
      queued: 1,
      running: 1,
      rateLimited: 1,
    });
    const job = await h.json(`/api/v1/jobs/${second}`);
    expect(job.body.spec.rateLimit).toEqual(rateLimit);
    const bad = await h.json(
      "/api/v1/jobs",
      post(command("x", { rateLimit: { key: "", max: 1, perMs: 1 } })),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("rateLimit.key");
  });

  it("settings outlive the supervisor: a paused queue is still paused after a restart", async () => {
    const store = makeMemoryStore();
    h = await startApi({ store });
    await h.json("/api/v1/queues/mail/pause", post());
    await h.close();
    h = await startApi({
      store,
      config: { queues: { mail: { concurrency: 9 }, cfg: { concurrency: 4 } } },
    });
    await h.register("w");
    const id = await submit("m", { queue: "mail" });
    await h.run(h.core.settled);
    expect((await h.json(`/api/v1/jobs/${id}`)).body.state).toBe("queued");
    // The stored settings win over the config file's; a queue only configured takes the file's.
    expect((await h.json("/api/v1/queues/mail")).body).toMatchObject({
      paused: true,
      concurrency: null,
    });
    expect((await h.json("/api/v1/queues/cfg")).body).toMatchObject({
      paused: false,
      concurrency: 4,
    });
    await h.json("/api/v1/queues/mail/resume", post());
    await eventually(() => (h.assigned.length === 1 ? true : undefined), "the job placed");
  });
});
