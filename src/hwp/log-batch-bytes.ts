/**
 * LogBatch from bytes by hand, the supervisor's side (the agent's is
 * src/protocol/log-batch-encode.ts): the one message that carries a job's whole output.
 *
 * protobufjs handles a line in three steps each way — `fromObject`/`toObject` copies, and the
 * int64 `seq` and `atMs` through Long objects and decimal strings — which made encoding and
 * decoding the larger part of what a printing job cost its agent and its supervisor.
 *
 * - `logBatchFromBytes` (supervisor): reads the plain shape an agent sends and applies the fast
 *   path's checks (fast-decode.ts); anything else (an unknown or repeated field, a varint past
 *   2^53, a stream that is neither STDOUT nor STDERR, a gap) is `undefined`, and the bytes go to
 *   protobufjs and the schema, which accept or refuse them exactly as before.
 */
import type { LogLine } from "../supervisor/gateway.ts";
import { checkedBatchHead, type DecodedLogBatch } from "./fast-decode.ts";
import { ProtobufReader } from "./protobuf-reader.ts";
import {
  jobIdTag,
  attemptTag,
  entryTag,
  seqTag,
  streamTag,
  lineTag,
  atTag,
  STDOUT,
  STDERR,
} from "../protocol/log-batch-encode.ts";

/** A batch the server's deserializer has already decoded and checked; `bytes` on the wire. */
export class DecodedLogBatchBytes {
  constructor(
    readonly batch: DecodedLogBatch,
    readonly bytes: number,
  ) {}
}

/** One LogEntry, or undefined when it is not of the plain, valid shape. */
const readEntry = (r: ProtobufReader, end: number): LogLine | undefined => {
  let seq = 0;
  let stream = 0;
  let line = "";
  let at = 0;
  let seen = 0;
  while (r.pos < end && !r.failed) {
    const t = r.varint();
    const bit = 1 << (t & 0x1f);
    if ((seen & bit) !== 0) return undefined;
    seen |= bit;
    if (t === seqTag) seq = r.varint();
    else if (t === streamTag) stream = r.varint();
    else if (t === lineTag) line = r.string();
    else if (t === atTag) at = r.varint();
    else return undefined;
  }
  if (r.failed || r.pos !== end || seq < 1 || (stream !== STDOUT && stream !== STDERR)) {
    return undefined;
  }
  return { seq, stream: stream === STDOUT ? "stdout" : "stderr", line, at };
};

export const logBatchFromBytes = (buf: Buffer): DecodedLogBatchBytes | undefined => {
  const r = new ProtobufReader(buf, 0, buf.length);
  let jobId = "";
  let attempt = 0;
  let seenHead = 0;
  const lines: LogLine[] = [];
  while (r.more) {
    const t = r.varint();
    if (t === entryTag) {
      const end = r.lengthEnd();
      if (r.failed) return undefined;
      const line = readEntry(r, end);
      if (line === undefined) return undefined;
      const prev = lines.length === 0 ? undefined : lines[lines.length - 1]!;
      if (prev !== undefined && line.seq !== prev.seq + 1) return undefined;
      lines.push(line);
    } else if (t === jobIdTag && (seenHead & 1) === 0) {
      seenHead |= 1;
      jobId = r.string();
    } else if (t === attemptTag && (seenHead & 2) === 0) {
      seenHead |= 2;
      attempt = r.varint();
    } else {
      return undefined;
    }
  }
  if (r.failed || !checkedBatchHead(jobId, attempt)) return undefined;
  return new DecodedLogBatchBytes({ jobId, attempt, lines }, buf.length);
};
