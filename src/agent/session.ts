/**
 * One Session call of the agent, from Hello to its final status.
 *
 * The session counts as up once the supervisor answers Welcome: then heartbeats start, the
 * first at once (the supervisor takes it as the sign the worker is connected), then every
 * `heartbeatIntervalMs`. The timer only samples in-memory telemetry and writes one message, so
 * it fires on time however busy the agent's jobs keep it. What the status means (left, refused,
 * disconnected) is for the connection to decide. A `Work` message is taken item by item, in
 * order, each as if it had come alone.
 */
import type { ClientDuplexStream, StatusObject } from "@grpc/grpc-js";
import { Either } from "effect";
import type { AgentMessage } from "../protocol/wire.ts";
import type { HwpClient } from "./client.ts";
import type { WorkerEventListener } from "./events.ts";
import {
  decodeSupervisorMessage,
  workItems,
  type Registered,
  type SupervisorCommand,
} from "./supervisor-messages.ts";
import type { TelemetrySampler } from "./telemetry.ts";

export type SessionCall = ClientDuplexStream<AgentMessage, unknown>;

export interface SessionOptions {
  readonly client: HwpClient;
  readonly registered: Registered;
  readonly telemetry: TelemetrySampler;
  readonly runningCount: () => number;
  readonly onWelcome: (call: SessionCall) => void;
  readonly onCommand: (command: SupervisorCommand) => void;
  readonly onEvent: WorkerEventListener;
}

export interface SessionEnd {
  readonly welcomed: boolean;
  readonly status: StatusObject;
}

export const openSession = (
  o: SessionOptions,
): { readonly call: SessionCall; readonly ended: Promise<SessionEnd> } => {
  const { workerId, heartbeatIntervalMs } = o.registered;
  const call = o.client.openSession();
  let welcomed = false;
  let heartbeat: NodeJS.Timeout | undefined;

  const beat = () => {
    const { at, ...rest } = o.telemetry.sample(o.runningCount());
    call.write({ heartbeat: { telemetry: { ...rest, atMs: at } } });
    o.onEvent({ type: "heartbeat", at });
  };

  const take = (raw: unknown): void => {
    const decoded = decodeSupervisorMessage(raw);
    if (decoded === undefined) return; // a newer supervisor's message: not for us
    if (Either.isLeft(decoded)) {
      return o.onEvent({ type: "protocol-error", message: decoded.left.message });
    }
    const command = decoded.right;
    if (command.kind !== "welcome") return o.onCommand(command);
    if (welcomed) return;
    welcomed = true;
    heartbeat = setInterval(beat, heartbeatIntervalMs);
    beat();
    o.onEvent({ type: "connected", workerId });
    o.onWelcome(call);
  };
  call.on("data", (raw: unknown) => {
    const items = workItems(raw);
    if (items === undefined) return take(raw);
    for (const item of items) take(item);
  });
  call.on("error", () => {}); // the status says it all
  const ended = new Promise<SessionEnd>((resolve) =>
    call.on("status", (status: StatusObject) => {
      clearInterval(heartbeat);
      resolve({ welcomed, status });
    }),
  );
  call.write({ hello: { workerId } });
  return { call, ended };
};
