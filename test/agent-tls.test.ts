/**
 * HWP over TLS, with certificates made for the test by `openssl`: an agent that trusts the CA
 * runs a job end to end; with a CA configured on the server (mTLS) an agent must present a
 * client certificate, and a plaintext or certificate-less client gets nowhere.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HwpClient } from "../src/agent/client.ts";
import {
  assign,
  startAgent,
  startHwp,
  token,
  type Agent,
  type Hwp,
} from "./fixtures/hwp-harness.ts";
import { register, registration } from "./fixtures/raw-session.ts";
import { makeTestPki, type TestPki } from "./fixtures/tls-certs.ts";

let pki: TestPki;
let hwp: Hwp | undefined;
let agent: Agent | undefined;

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.cleanup());
afterEach(async () => {
  await agent?.worker.stop();
  await hwp?.server.close();
  agent = undefined;
  hwp = undefined;
});

const runsAJob = async (a: Agent, h: Hwp) => {
  const jobId = assign(h.server, a.workerId, { command: { shell: "echo over tls" } });
  expect(await h.inbound.waitFor(() => h.inbound.resultOf(jobId), "the result")).toEqual({
    kind: "succeeded",
    exitCode: 0,
  });
  expect(h.inbound.linesOf(jobId).map((l) => l.line)).toEqual(["over tls"]);
};

const rawClient = (address: string, tls?: ConstructorParameters<typeof HwpClient>[0]["tls"]) =>
  new HwpClient({
    address,
    token,
    maxMessageBytes: 1 << 20,
    keepaliveMs: 30_000,
    ...(tls ? { tls } : {}),
  });

describe("TLS", () => {
  it("round-trips a job over TLS with a server certificate from a private CA", async () => {
    hwp = await startHwp({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    agent = await startAgent(hwp.server, {
      url: `grpcs://${hwp.server.address}`,
      tls: { ca: pki.ca },
    });
    await runsAJob(agent, hwp);
  });

  it("requires a client certificate signed by the CA when the server has one (mTLS)", async () => {
    hwp = await startHwp({ tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca } });
    const address = hwp.server.address;
    agent = await startAgent(hwp.server, {
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
    });
    await runsAJob(agent, hwp);

    const noCert = await register(rawClient(address, { ca: pki.ca }), registration());
    expect(noCert).toMatchObject({ ok: false, error: { code: status.UNAVAILABLE } });
    const plaintext = await register(rawClient(address), registration());
    expect(plaintext).toMatchObject({ ok: false, error: { code: status.UNAVAILABLE } });
    expect(hwp.inbound.registrations).toHaveLength(1);
  });
});
