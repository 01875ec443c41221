/**
 * HWP refusals at the door, over real gRPC: authentication on every call (static token or an
 * HS256 JWT with the worker role), malformed registrations named field by field, and limits
 * (sessions, message size). A refused call never reaches the core.
 */
import { status } from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { startHwp, token, type Hwp } from "./fixtures/hwp-harness.ts";
import { client, openLogs, openSession, register, registration } from "./fixtures/raw-session.ts";

const secret = "a-jwt-secret-of-enough-length-for-hs256";
const jwt = (claims: Record<string, unknown>, key = secret) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(key));

let hwp: Hwp | undefined;
afterEach(async () => {
  await hwp?.server.close();
  hwp = undefined;
});

describe("authentication", () => {
  it("refuses a wrong or missing token with UNAUTHENTICATED and registers nothing", async () => {
    hwp = await startHwp();
    const wrong = await register(client(hwp.server.address, "not-the-token"), registration());
    expect(wrong).toMatchObject({ ok: false, error: { code: status.UNAUTHENTICATED } });
    const empty = await register(client(hwp.server.address, ""), registration());
    expect(empty).toMatchObject({ ok: false, error: { code: status.UNAUTHENTICATED } });
    expect(hwp.inbound.registrations).toHaveLength(0);
  });

  it("checks every call, not only RegisterWorker", async () => {
    hwp = await startHwp();
    const good = client(hwp.server.address, token);
    const registered = await register(good, registration());
    expect(registered.ok).toBe(true);
    const bad = client(hwp.server.address, "not-the-token");
    expect((await openSession(bad).status).code).toBe(status.UNAUTHENTICATED);
    expect((await openLogs(bad, "w-1").status).code).toBe(status.UNAUTHENTICATED);
  });

  it("accepts an HS256 JWT with the worker role, refuses other roles and bad signatures", async () => {
    hwp = await startHwp({ auth: { jwtSecret: secret } });
    const address = hwp.server.address;
    const worker = await register(client(address, await jwt({ role: "worker" })), registration());
    expect(worker.ok).toBe(true);
    const asList = await register(
      client(address, await jwt({ role: ["api", "worker"] })),
      registration(),
    );
    expect(asList.ok).toBe(true);
    const admin = await register(client(address, await jwt({ role: "admin" })), registration());
    expect(admin).toMatchObject({ ok: false, error: { code: status.PERMISSION_DENIED } });
    const forged = await register(
      client(address, await jwt({ role: "worker" }, "another-secret-key-entirely")),
      registration(),
    );
    expect(forged).toMatchObject({ ok: false, error: { code: status.UNAUTHENTICATED } });
    expect(hwp.inbound.registrations).toHaveLength(2);
  });

  it("refuses a JWT without exp, or valid for longer than the maximum lifetime", async () => {
    hwp = await startHwp({ auth: { jwtSecret: secret, jwtMaxLifetimeMs: 86_400_000 } });
    const address = hwp.server.address;
    const key = new TextEncoder().encode(secret);
    const signed = (build: (j: SignJWT) => SignJWT) =>
      build(new SignJWT({ role: "worker" }).setProtectedHeader({ alg: "HS256" })).sign(key);
    const tries = {
      forever: await signed((j) => j.setIssuedAt()),
      tooLong: await signed((j) => j.setIssuedAt().setExpirationTime("2d")),
      tooLongNoIat: await signed((j) => j.setExpirationTime("2d")),
      day: await signed((j) => j.setIssuedAt().setExpirationTime("23h")),
      noIat: await signed((j) => j.setExpirationTime("1h")),
    };
    const codes = Object.fromEntries(
      await Promise.all(
        Object.entries(tries).map(async ([name, t]) => {
          const r = await register(client(address, t), registration());
          return [name, r.ok ? "OK" : status[r.error.code]] as const;
        }),
      ),
    );
    expect(codes).toEqual({
      forever: "UNAUTHENTICATED",
      tooLong: "UNAUTHENTICATED",
      tooLongNoIat: "UNAUTHENTICATED",
      day: "OK",
      noIat: "OK",
    });
    expect(hwp.inbound.registrations).toHaveLength(2);
  });

  it("takes the Bearer scheme in any case", async () => {
    hwp = await startHwp();
    const { Metadata } = await import("@grpc/grpc-js");
    const { makeAuthenticator } = await import("../src/hwp/index.ts");
    const check = makeAuthenticator({ token });
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      const m = new Metadata();
      m.set("authorization", `${scheme} ${token}`);
      expect((await check(m)).ok, scheme).toBe(true);
    }
  });

  it("refuses to start with a JWT secret under 32 bytes", async () => {
    const { makeHwpServer } = await import("../src/hwp/index.ts");
    const { makeFakeInbound } = await import("./fixtures/fake-inbound.ts");
    await expect(
      makeHwpServer({
        address: "127.0.0.1:0",
        inbound: makeFakeInbound(),
        auth: { jwtSecret: "x".repeat(31) },
      }),
    ).rejects.toThrow(/31 bytes; HS256 needs at least 32/);
  });

  it("refuses to start without any way to authenticate agents", async () => {
    const { makeHwpServer } = await import("../src/hwp/index.ts");
    const { makeFakeInbound } = await import("./fixtures/fake-inbound.ts");
    await expect(
      makeHwpServer({ address: "127.0.0.1:0", inbound: makeFakeInbound(), auth: {} }),
    ).rejects.toThrow(/HODEI_WORKER_TOKEN/);
  });
});

describe("malformed input", () => {
  it("names every bad field of a registration with INVALID_ARGUMENT", async () => {
    hwp = await startHwp();
    const r = await register(
      client(hwp.server.address, token),
      registration({
        capacity: { cpuMillis: -500, memoryMb: 1024, gpus: 0, maxJobs: 0 },
        labels: { "bad key!": "x" },
        handlers: ["9starts-with-digit"],
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(status.INVALID_ARGUMENT);
    expect(r.error.details).toContain("capacity.cpuMillis");
    expect(r.error.details).toContain("capacity.maxJobs");
    expect(r.error.details).toContain("labels");
    expect(r.error.details).toContain("handlers.0");
    expect(hwp.inbound.registrations).toHaveLength(0);
  });

  it("refuses a capacity that is missing altogether", async () => {
    hwp = await startHwp();
    const c = client(hwp.server.address, token);
    const r = await register(c, { ...registration(), capacity: undefined as never });
    expect(r).toMatchObject({ ok: false, error: { code: status.INVALID_ARGUMENT } });
    if (!r.ok) expect(r.error.details).toMatch(/^capacity: Expected a capacity object/);
  });

  it("refuses a message over the size limit with RESOURCE_EXHAUSTED", async () => {
    hwp = await startHwp({ maxMessageBytes: 4096 });
    const r = await register(
      client(hwp.server.address, token, 1024 * 1024),
      registration({
        labels: {
          big: "x".repeat(200),
          ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v".repeat(100)])),
        },
      }),
    );
    expect(r).toMatchObject({ ok: false, error: { code: status.RESOURCE_EXHAUSTED } });
    expect(hwp.inbound.registrations).toHaveLength(0);
  });
});

describe("limits", () => {
  it("refuses a session past maxSessions with RESOURCE_EXHAUSTED", async () => {
    hwp = await startHwp({ maxSessions: 1 });
    const c = client(hwp.server.address, token);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await register(c, registration());
      if (!r.ok) throw new Error("registration failed");
      ids.push(String(r.response["workerId"]));
    }
    const first = openSession(c, ids[0]!);
    first.write({ hello: { workerId: ids[0]! } });
    expect(await first.next()).toMatchObject({ welcome: { workerId: ids[0] } });
    const second = openSession(c, ids[1]!);
    second.write({ hello: { workerId: ids[1]! } });
    expect((await second.status).code).toBe(status.RESOURCE_EXHAUSTED);
    first.cancel();
  });
});
