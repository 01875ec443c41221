/**
 * A worker is only itself, over real gRPC against the real supervisor (LMDB, core, HWP server):
 * an attacker holding the shared worker token tries every forgery — re-registering as another
 * worker, saying Hello as it, reporting its job's result, writing its job's log, writing lines
 * for a queued job or a made-up attempt — and each is refused with its status while the victim's
 * job runs on untouched. Bad tokens are UNAUTHENTICATED whatever the body; registrations are
 * capped and abandoned ones forgotten; and the victim proves itself again after a restart.
 */
import {
  Client,
  credentials,
  Metadata,
  status,
  type ServiceError,
  type StatusObject,
} from "@grpc/grpc-js";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { createWorker, type Worker } from "../src/agent/index.ts";
import { makeE2e, submit, token, type Supervised } from "./fixtures/e2e-harness.ts";
import { client, openLogs, openSession, register, registration } from "./fixtures/raw-session.ts";

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

const setup = async (overrides: Record<string, string> = {}) => {
  const e2e = makeE2e(overrides);
  const s = await e2e.start();
  const supervisors = [s];
  cleanup.push(async () => {
    for (const x of supervisors) await x.stop().catch(() => {});
    e2e.cleanup();
  });
  return { e2e, s, supervisors };
};

const victimAgent = async (address: string): Promise<Worker> => {
  const w = createWorker({
    url: address,
    token,
    name: "victim",
    reconnect: { initialMs: 20, maxMs: 200 },
  });
  cleanup.push(() => w.stop());
  await w.connected();
  return w;
};

const jobOf = (s: Supervised, id: string) => Effect.runPromise(s.running.core.store.jobs.get(id));
const linesOf = (s: Supervised, id: string) =>
  Effect.runPromise(s.running.core.store.logs.read(id)).then((p) =>
    p.chunks.filter((c) => c.stream !== "system").map((c) => c.data),
  );

const raw = (address: string) => {
  const c = client(address, token);
  cleanup.push(() => c.close());
  return c;
};

const entry = (seq: number, line: string) => ({
  seq,
  stream: "STDOUT" as const,
  line,
  atMs: Date.now(),
});

describe("worker identity", () => {
  it("refuses every forgery of another worker, and the victim's job runs on untouched", async () => {
    const { s } = await setup();
    const address = s.running.grpcAddress;
    const victim = await victimAgent(address);
    const victimId = victim.workerId()!;
    const jobId = await submit(s, { name: "long", command: { shell: "echo mine; sleep 30" } });
    await s.watch.when(jobId, "running");
    const before = await jobOf(s, jobId);
    expect(before).toMatchObject({ state: "running", attempt: 1, workerId: victimId });
    await s.watch.when(jobId, "running");

    // Re-registering as the victim (which would reconcile its jobs away): no secret, a guess.
    const bare = raw(address);
    const claim = await register(bare, registration({ workerId: victimId, running: [] }));
    expect(claim).toMatchObject({ ok: false, error: { code: status.PERMISSION_DENIED } });
    const guess = raw(address);
    guess.identify({ workerId: victimId, secret: "a-guess" });
    const guessed = await guess
      .register(
        registration({ workerId: victimId, running: [] }),
        5_000,
        new AbortController().signal,
      )
      .catch((e: ServiceError) => e);
    expect((guessed as ServiceError).code).toBe(status.PERMISSION_DENIED);

    // The attacker as itself: a worker of its own, with a session.
    const attacker = raw(address);
    const own = await register(attacker, registration({ name: "attacker" }));
    if (!own.ok) throw new Error(own.error.details);
    const attackerId = String(own.response["workerId"]);
    expect(String(own.response["workerSecret"])).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Hello as the victim, with the attacker's own secret: refused; the victim keeps its session.
    const hijack = openSession(attacker, attackerId);
    hijack.write({ hello: { workerId: victimId } });
    const refused = await hijack.status;
    expect([refused.code, refused.details]).toEqual([
      status.PERMISSION_DENIED,
      expect.stringContaining(victimId),
    ]);

    // The victim's result, reported on the attacker's own session.
    const session = openSession(attacker, attackerId);
    session.write({ hello: { workerId: attackerId } });
    expect(await session.next()).toMatchObject({ welcome: { workerId: attackerId } });
    const telemetry = {
      cpuPercent: 1,
      memoryUsedMb: 1,
      memoryTotalMb: 1024,
      load1: 0,
      diskFreeMb: 1000,
      runningJobs: 0,
      atMs: Date.now(),
    };
    session.write({ heartbeat: { telemetry } }); // the first heartbeat: it may take work now
    session.write({ jobResult: { jobId, attempt: 1, succeeded: { exitCode: 0, outputJson: "" } } });
    const forged = await session.next();
    expect(forged).toMatchObject({
      error: { code: status.FAILED_PRECONDITION, jobId, attempt: 1 },
    });

    // Log lines into the victim's job: under the victim's id, then under the attacker's own.
    const asVictim = openLogs(attacker, victimId);
    asVictim.write({ jobId, attempt: 1, entries: [entry(2, "forged as the victim")] });
    expect((await asVictim.status).code).toBe(status.PERMISSION_DENIED);
    const asItself = openLogs(attacker, attackerId);
    asItself.write({ jobId, attempt: 1, entries: [entry(2, "forged by the attacker")] });
    expect((await asItself.status).code).toBe(status.FAILED_PRECONDITION);

    // A queued job on no worker, and a made-up attempt of the victim's job.
    const queued = await submit(s, {
      name: "waits",
      command: { argv: ["true"] },
      labels: { nobody: "has-this" },
    });
    const intoQueued = openLogs(attacker, attackerId);
    intoQueued.write({ jobId: queued, attempt: 7, entries: [entry(1, "into a queued job")] });
    expect((await intoQueued.status).code).toBe(status.FAILED_PRECONDITION);
    const attempt7 = openLogs(attacker, attackerId);
    attempt7.write({ jobId, attempt: 7, entries: [entry(1, "attempt 7")] });
    expect((await attempt7.status).code).toBe(status.FAILED_PRECONDITION);

    // Its own job (only it has zone=a): lines of the attempt it was given, and of no other.
    const ownJob = await submit(s, {
      name: "own",
      command: { argv: ["true"] },
      labels: { zone: "a" },
    });
    const assigned = await session.next();
    expect(assigned).toMatchObject({ assignJob: { jobId: ownJob, attempt: 1 } });
    session.write({ jobAccepted: { jobId: ownJob, attempt: 1 } });
    const wrongAttempt = openLogs(attacker, attackerId);
    wrongAttempt.write({ jobId: ownJob, attempt: 2, entries: [entry(1, "attempt 2")] });
    wrongAttempt.end();
    expect((await wrongAttempt.status).code).toBe(status.FAILED_PRECONDITION);
    const rightAttempt = openLogs(attacker, attackerId);
    rightAttempt.write({ jobId: ownJob, attempt: 1, entries: [entry(1, "attempt 1")] });
    expect(await rightAttempt.next()).toEqual({ seq: "1" });
    rightAttempt.end();
    expect(await linesOf(s, ownJob)).toEqual(["attempt 1"]);

    // The victim's job: as it was, on the victim, with the victim's own line only.
    expect(await jobOf(s, jobId)).toMatchObject({
      state: "running",
      attempt: 1,
      workerId: victimId,
    });
    expect(await linesOf(s, jobId)).toEqual(["mine"]);
    expect(await linesOf(s, queued)).toEqual([]);
    expect((await jobOf(s, queued)).state).toBe("queued");
    expect(s.running.core.scheduler.workers().find((w) => w.id === victimId)?.healthy).toBe(true);
    session.cancel();
  });

  it("is UNAUTHENTICATED for a bad token whatever the body; INVALID_ARGUMENT for garbage with a good one", async () => {
    const { s } = await setup();
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const grpc = new Client(s.running.grpcAddress, credentials.createInsecure());
    cleanup.push(() => grpc.close());
    const meta = (t: string) => {
      const m = new Metadata();
      m.set("authorization", `Bearer ${t}`);
      return m;
    };
    const path = (method: string) => `/hodei.hwp.v1.WorkerProtocol/${method}`;
    const same = (b: Buffer) => b;
    const unary = (t: string) =>
      new Promise<number>((resolve) =>
        grpc.makeUnaryRequest(path("RegisterWorker"), same, same, garbage, meta(t), (e) =>
          resolve(e?.code ?? status.OK),
        ),
      );
    const stream = (method: string, t: string) =>
      new Promise<StatusObject>((resolve) => {
        const call = grpc.makeBidiStreamRequest(path(method), same, same, meta(t));
        call.on("data", () => {});
        call.on("error", () => {});
        call.on("status", resolve);
        call.write(garbage);
      });
    expect(await unary("not-the-token")).toBe(status.UNAUTHENTICATED);
    expect(await unary("")).toBe(status.UNAUTHENTICATED);
    expect((await stream("Session", "not-the-token")).code).toBe(status.UNAUTHENTICATED);
    expect((await stream("StreamLogs", "not-the-token")).code).toBe(status.UNAUTHENTICATED);
    expect(await unary(token)).toBe(status.INVALID_ARGUMENT);
    expect((await stream("Session", token)).code).toBe(status.INVALID_ARGUMENT);
    expect(await Effect.runPromise(s.running.core.store.workers.list())).toEqual([]);
  });

  it("caps registrations, and forgets a registration whose session never opens", async () => {
    const { s } = await setup({ maxWorkers: "3", heartbeatTimeoutMs: "1000" });
    const address = s.running.grpcAddress;
    const c = raw(address);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await register(c, registration({ name: `flood-${i}` }));
      if (!r.ok) throw new Error(r.error.details);
      ids.push(String(r.response["workerId"]));
    }
    const over = await register(c, registration({ name: "one-too-many" }));
    expect(over).toMatchObject({ ok: false, error: { code: status.RESOURCE_EXHAUSTED } });
    // One of them opens its session: it stays. The other two are forgotten after the timeout.
    const kept = openSession(c, ids[0]!);
    kept.write({ hello: { workerId: ids[0]! } });
    expect(await kept.next()).toMatchObject({ welcome: { workerId: ids[0] } });
    const listed = async () =>
      (await Effect.runPromise(s.running.core.store.workers.list())).map((w) => w.id).sort();
    expect(await listed()).toEqual([...ids].sort());
    const deadline = Date.now() + 10_000;
    while ((await listed()).length > 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await listed()).toEqual([ids[0]]);
    expect(await Effect.runPromise(s.running.core.store.credentials.getWorkerSecret(ids[1]!))).toBe(
      undefined,
    );
    // Their places are free again.
    const again = await register(raw(address), registration({ name: "after" }));
    expect(again.ok).toBe(true);
    kept.cancel();
  });

  it("keeps the binding across a supervisor restart: the worker proves itself, nobody else can", async () => {
    const { e2e, s, supervisors } = await setup();
    const first = await victimAgent(s.running.grpcAddress);
    const victimId = first.workerId()!;
    const secret = first.workerSecret()!;
    await first.stop();
    await s.stop();
    const restarted = await e2e.start();
    supervisors.push(restarted);
    // Nobody has claimed the id since the restart: only the store can tell the forger no.
    const forger = await register(
      raw(restarted.running.grpcAddress),
      registration({ workerId: victimId }),
    );
    expect(forger).toMatchObject({ ok: false, error: { code: status.PERMISSION_DENIED } });
    const back = createWorker({
      url: restarted.running.grpcAddress,
      token,
      name: "victim",
      workerId: victimId,
      workerSecret: secret,
    });
    cleanup.push(() => back.stop());
    expect(await back.connected()).toBe(victimId);
  });
});
