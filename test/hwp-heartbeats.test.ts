/**
 * HeartbeatBatch: a turn's heartbeats handed to the core synchronously, in arrival order; an
 * unknown worker's refused back to its session; a full mailbox holding the rest of the turn's
 * heartbeats until it has room.
 */
import { Deferred, Effect } from "effect";
import { describe, expect, it } from "vitest";
import { NotFound } from "../src/domain/errors.ts";
import { HeartbeatBatch } from "../src/hwp/heartbeats.ts";
import type { Refusal } from "../src/hwp/refusal.ts";
import type { AgentInbound } from "../src/supervisor/gateway.ts";
import { telemetry } from "./fixtures/core-harness.ts";

describe("heartbeat batch", () => {
  it("hands a turn's heartbeats over in order, refuses the unknown, waits behind a full mailbox", async () => {
    const taken: string[] = [];
    const room = Deferred.unsafeMake<void>(Effect.runSync(Effect.fiberId));
    const inbound = {
      heartbeatNow: (workerId: string) => {
        taken.push(workerId);
        if (workerId === "unknown") return new NotFound({ kind: "worker", id: workerId });
        if (workerId === "full") return Deferred.await(room);
        return undefined;
      },
    } as unknown as AgentInbound;
    const batch = new HeartbeatBatch(inbound);
    const refusals: Array<[string, Refusal]> = [];
    for (const w of ["a", "unknown", "b", "full", "c", "d"]) {
      batch.add(w, telemetry, (r) => refusals.push([w, r]));
    }
    expect(taken).toEqual([]); // at the end of the turn
    batch.flush();
    expect(taken).toEqual(["a", "unknown", "b", "full"]);
    expect(refusals.map(([w, r]) => [w, r.code])).toEqual([["unknown", 5]]); // NOT_FOUND
    await Effect.runPromise(Deferred.succeed(room, undefined));
    await new Promise((resolve) => setImmediate(resolve));
    expect(taken).toEqual(["a", "unknown", "b", "full", "c", "d"]);
  });
});
