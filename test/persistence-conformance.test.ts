/**
 * One conformance suite for every persistence adapter — memory, LMDB (a temporary directory per
 * test), PostgreSQL (a schema per test, on HODEI_TEST_PG_URL) — so they cannot drift apart.
 * The sections are in test/fixtures/persistence-conformance-*.ts.
 */
import { beforeAll, describe } from "vitest";
import { adapters, requirePostgres } from "./fixtures/persistence-adapters.ts";
import { credentialsConformance } from "./fixtures/persistence-conformance-credentials.ts";
import { jobsConformance } from "./fixtures/persistence-conformance-jobs.ts";
import { queuesConformance } from "./fixtures/persistence-conformance-queues.ts";
import { logsConformance } from "./fixtures/persistence-conformance-logs.ts";
import { registryConformance } from "./fixtures/persistence-conformance-registry.ts";
import { schedulesConformance } from "./fixtures/persistence-conformance-schedules.ts";
import { snapshotsConformance } from "./fixtures/persistence-conformance-snapshots.ts";

for (const adapter of adapters) {
  describe(`persistence conformance: ${adapter.name}`, () => {
    // Fails (never skips) the PostgreSQL section when the server is unreachable.
    if (adapter.name === "postgres") beforeAll(requirePostgres);
    describe("jobs", () => jobsConformance(adapter));
    describe("snapshots", () => snapshotsConformance(adapter));
    describe("logs", () => logsConformance(adapter));
    describe("pipelines, workers and retention", () => registryConformance(adapter));
    describe("credentials", () => credentialsConformance(adapter));
    describe("queues", () => queuesConformance(adapter));
    describe("schedules", () => schedulesConformance(adapter));
  });
}
