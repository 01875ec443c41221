/**
 * A heartbeat read straight from its bytes, on the supervisor's receive path.
 *
 * With 10,000 agents a supervisor reads 10,000 heartbeats a second. protobufjs decodes each
 * into three objects, `toObject` copies them into three more (turning the int64 `atMs` into a
 * Long and then a string), and the fast path then parses that string back into a number. Read
 * here, an `AgentMessage { heartbeat { telemetry } }` costs one pass over about 60 bytes and one
 * object: the Telemetry the core takes.
 *
 * It takes only the plain shape a Hodei agent sends — each field at most once, no unknown field,
 * a telemetry present — and applies the fast path's own check (fast-decode.ts); anything else
 * is `undefined`, and the bytes go to protobufjs and the schema as before, so an odd or bad
 * heartbeat is accepted or refused exactly as it was. A property test holds the two together.
 */
import type { Telemetry } from "../domain/worker.ts";
import { checkedTelemetry } from "./fast-decode.ts";
import { ProtobufReader, tag } from "./protobuf-reader.ts";

/** A heartbeat the server's deserializer has already decoded and checked. */
export class DecodedHeartbeat {
  readonly kind = "heartbeat";
  constructor(readonly telemetry: Telemetry) {}
}

const heartbeatTag = tag(2, 2); // AgentMessage.heartbeat
const telemetryTag = tag(1, 2); // Heartbeat.telemetry

/** Telemetry field tags, in field order: five doubles, a uint32 and an int64. */
const cpuTag = tag(1, 1);
const usedTag = tag(2, 1);
const totalTag = tag(3, 1);
const loadTag = tag(4, 1);
const diskTag = tag(5, 1);
const runningTag = tag(6, 0);
const atTag = tag(7, 0);

export const heartbeatFromBytes = (buf: Buffer): DecodedHeartbeat | undefined => {
  const r = new ProtobufReader(buf, 0, buf.length);
  if (r.varint() !== heartbeatTag || r.lengthEnd() !== buf.length) return undefined;
  if (r.varint() !== telemetryTag || r.lengthEnd() !== buf.length || r.failed) return undefined;
  // Absent scalars are zero (proto3), as `defaults: true` makes them for protobufjs.
  let cpu = 0;
  let used = 0;
  let total = 0;
  let load = 0;
  let disk = 0;
  let running = 0;
  let at = 0;
  let seen = 0;
  while (r.more) {
    const t = r.varint();
    const bit = 1 << (t >>> 3);
    if ((seen & bit) !== 0) return undefined;
    seen |= bit;
    switch (t) {
      case cpuTag:
        cpu = r.double();
        break;
      case usedTag:
        used = r.double();
        break;
      case totalTag:
        total = r.double();
        break;
      case loadTag:
        load = r.double();
        break;
      case diskTag:
        disk = r.double();
        break;
      case runningTag:
        running = r.varint();
        break;
      case atTag:
        at = r.varint();
        break;
      default:
        return undefined;
    }
  }
  if (r.failed || running > 0xffffffff) return undefined;
  const telemetry = checkedTelemetry(cpu, used, total, load, disk, running, at);
  return telemetry === undefined ? undefined : new DecodedHeartbeat(telemetry);
};
