/**
 * The API routes of the web dashboard, over a real server (test/api-harness.ts):
 * - the dashboard's files: `/` and `/assets/<name>` without a token, with their security
 *   headers; unknown names, escapes and directories are 404s; a missing build says so;
 * - `GET /api/v1/events`: a token is needed (401 without, in the header, like every route);
 *   the stream says `hello`, then carries the bus's job and worker events; `topics` filters, and
 *   a bad one is a 400;
 * - `GET /api/v1/overview`: workers, queue by priority, reservations;
 * - `GET /api/v1/whoami`: the token's role;
 * - one-time links: made with a token, traded once for the same token; a used, unknown or
 *   malformed code is refused, and so is another origin.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { jobEvents } from "../src/supervisor/topics.ts";
import { command, eventually, startApi, type Harness } from "./api-harness.ts";

let h: Harness;
let ui = "";

beforeAll(async () => {
  ui = mkdtempSync(join(tmpdir(), "hodei-ui-"));
  mkdirSync(join(ui, "assets"));
  writeFileSync(join(ui, "index.html"), "<!doctype html><title>Hodei</title>");
  writeFileSync(join(ui, "assets", "main-AB12.js"), "console.log(1)");
  writeFileSync(join(ui, "assets", "main-AB12.css"), "body{}");
  h = await startApi({ uiDir: ui, overviewMs: 20 });
});

afterAll(async () => {
  await h?.close();
  rmSync(ui, { recursive: true, force: true });
});

/** Reads Server-Sent Events from `res` until `until` says stop; returns what it read. */
const readEvents = async (
  res: Response,
  until: (events: ReadonlyArray<{ event: string; data: any }>) => boolean,
) => {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Array<{ event: string; data: any }> = [];
  let buffer = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined) events.push({ event, data: data ? JSON.parse(data) : null });
    }
  }
  await reader.cancel();
  return events;
};

describe("the dashboard's files", () => {
  it("serves the page and its assets without a token, with a strict policy", async () => {
    const page = await fetch(`${h.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await page.text()).toContain("<title>Hodei</title>");
    const js = await fetch(`${h.url}/assets/main-AB12.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toMatch(/immutable/);
    expect(await js.text()).toBe("console.log(1)");
    const head = await fetch(`${h.url}/assets/main-AB12.css`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("6");
  });

  it("answers 404 for names it does not have, escapes and other kinds of file", async () => {
    for (const path of [
      "/assets/nope.js",
      "/assets/..%2Findex.html",
      "/assets/%2e%2e%2findex.html",
      "/assets/.hidden.js",
      "/assets/main-AB12.exe",
      "/assets/",
    ]) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as any).error.code, path).toMatch(/not_found/);
    }
    // Other paths are the API's: no route.
    expect((await h.json("/dashboard")).body.error.code).toBe("route_not_found");
  });

  it("says the dashboard is not built when its directory has no page", async () => {
    const empty = mkdtempSync(join(tmpdir(), "hodei-ui-empty-"));
    const other = await startApi({ uiDir: empty });
    try {
      const res = await fetch(`${other.url}/`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.message).toMatch(/not built.*npm run build/);
    } finally {
      await other.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("the event stream", () => {
  it("needs a token, in the Authorization header", async () => {
    expect((await fetch(`${h.url}/api/v1/events`)).status).toBe(401);
    const inQuery = await fetch(`${h.url}/api/v1/events?access_token=${h.token}`);
    expect(inQuery.status).toBe(401);
  });

  it("streams the bus's job and worker events to a read token", async () => {
    const read = await h.tokenOf("read");
    const res = await fetch(`${h.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const submitted = (
      await h.json("/api/v1/jobs", { method: "POST", body: JSON.stringify(command("ev")) })
    ).body.id as string;
    const events = await readEvents(res, (es) =>
      es.some((e) => e.event === "job" && e.data.jobId === submitted),
    );
    expect(events[0]).toEqual({
      event: "hello",
      data: { topics: ["jobs", "workers", "runs", "placements", "overview"] },
    });
    expect(events.find((e) => e.event === "job")!.data).toMatchObject({
      jobId: submitted,
      state: "queued",
      attempt: 0,
    });
    expect(events.some((e) => e.event === "overview")).toBe(true);
  });

  it("streams only the topics asked for, and refuses an unknown one", async () => {
    const res = await h.fetch("/api/v1/events?topics=workers");
    expect(res.status).toBe(200);
    await h.json("/api/v1/jobs", { method: "POST", body: JSON.stringify(command("not-shown")) });
    const workerId = await h.register("w-events");
    const events = await readEvents(res, (es) =>
      es.some((e) => e.event === "worker" && e.data.workerId === workerId),
    );
    expect(events.map((e) => e.event).filter((e) => e !== "worker")).toEqual(["hello"]);
    const bad = await h.json("/api/v1/events?topics=jobs,bogus");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("topics.1");
  });
});

describe("a slow client of the event stream", () => {
  it("skips events while its socket is full, then tells it to read again", async () => {
    const socket = connect(Number(new URL(h.url).port), "127.0.0.1");
    socket.pause();
    socket.write(
      `GET /api/v1/events?topics=jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\n\r\n`,
    );
    await eventually(() => (h.serving.api.streams() > 0 ? true : undefined), "the stream");
    // Far more than the socket's buffers hold, published in bursts the hub drains between.
    const published = 50_000;
    const event = {
      state: "queued",
      attempt: 0,
      workerId: null,
      at: Date.now(),
      queue: "default",
      handler: null,
    } as const;
    for (let i = 0; i < published; i++) {
      h.core.bus.tryPublish(jobEvents, { ...event, jobId: `j${i}` });
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (text += d));
    socket.resume();
    await eventually(() => (text.includes("event: resync") ? true : undefined), "a resync");
    socket.destroy();
    const received = text.split("event: job\n").length - 1;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(published);
  });
});

describe("the overview, and who the caller is", () => {
  it("counts workers, the queue by priority and reservations", async () => {
    const other = await startApi({ uiDir: ui });
    try {
      const submit = (priority: number) =>
        other.json("/api/v1/jobs", {
          method: "POST",
          body: JSON.stringify(command(`p${priority}`, { priority })),
        });
      for (const p of [700, 700, 100]) expect((await submit(p)).status).toBe(201);
      const before = (await other.json("/api/v1/overview")).body;
      expect(before.queue).toEqual([
        { priority: 700, jobs: 2 },
        { priority: 100, jobs: 1 },
      ]);
      expect(before.queued).toBe(3);
      expect(before.workers).toEqual({ healthy: 0, lost: 0, draining: 0 });
      expect(before.rates.inPerSecond).toBeCloseTo(0.3);
      await other.register("w1");
      const after = (await other.json("/api/v1/overview")).body;
      expect(after.workers.healthy).toBe(1);
      expect(after.capacity).toEqual({ cpuMillis: 4000, memoryMb: 8192 });
      expect(after.queued + after.placed).toBe(3);
    } finally {
      await other.close();
    }
  });

  it("tells a token its role", async () => {
    const read = await h.tokenOf("read");
    const who = await fetch(`${h.url}/api/v1/whoami`, {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(await who.json()).toEqual({ role: "read", tokenId: read.split("_")[1] });
    expect((await h.json("/api/v1/whoami")).body).toEqual({ role: "admin", tokenId: null });
  });
});

describe("one-time links", () => {
  const exchange = (code: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/api/v1/ui/exchange`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ code }),
    });

  it("hands the link's token over once", async () => {
    const read = await h.tokenOf("read");
    expect((await fetch(`${h.url}/api/v1/ui/links`, { method: "POST" })).status).toBe(401);
    const made = await fetch(`${h.url}/api/v1/ui/links`, {
      method: "POST",
      headers: { authorization: `Bearer ${read}` },
    });
    expect(made.status).toBe(201);
    const link = (await made.json()) as { code: string; path: string; expiresAt: number };
    expect(link.path).toBe(`/#/login?code=${link.code}`);
    expect(link.expiresAt).toBeGreaterThan(Date.now());
    const first = await exchange(link.code);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(await first.json()).toEqual({ token: read });
    const again = await exchange(link.code);
    expect(again.status).toBe(404);
    expect(((await again.json()) as any).error.message).toMatch(/unknown, used or expired/);
  });

  it("refuses an unknown code, a malformed one, and another origin", async () => {
    expect((await exchange("A".repeat(43))).status).toBe(404);
    const malformed = await exchange("short");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.details[0].path).toBe("code");
    const { code } = (await h.json("/api/v1/ui/links", { method: "POST" })).body;
    const foreign = await exchange(code, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    // The refused request did not use the link up.
    expect((await exchange(code)).status).toBe(200);
  });
});
