/**
 * LogBatch to and from bytes by hand: the one message that carries a job's whole output.
 *
 * protobufjs handles a line in three steps each way — `fromObject`/`toObject` copies, and the
 * int64 `seq` and `atMs` through Long objects and decimal strings — which made encoding and
 * decoding the larger part of what a printing job cost its agent and its supervisor.
 *
 * - `encodeLogBatch` (agent): the same bytes protobufjs writes for the same batch (every field
 *   written, in field order; a test compares them), so nothing changes on the wire. Text is
 *   Buffer's UTF-8: a lone surrogate (a handler can log one) becomes U+FFFD, as protobufjs
 *   writes it in strings of 40 characters or more (shorter ones it writes as invalid UTF-8).
 * - `logBatchFromBytes` (supervisor): reads the plain shape an agent sends and applies the fast
 *   path's checks (fast-decode.ts); anything else (an unknown or repeated field, a varint past
 *   2^53, a stream that is neither STDOUT nor STDERR, a gap) is `undefined`, and the bytes go to
 *   protobufjs and the schema, which accept or refuse them exactly as before.
 */
import type { LogLine } from "../supervisor/gateway.ts";
import { checkedBatchHead, type DecodedLogBatch } from "./fast-decode.ts";
import { ProtobufReader, tag } from "./protobuf-reader.ts";
import type { LogBatch } from "./wire.ts";

/** A batch the server's deserializer has already decoded and checked; `bytes` on the wire. */
export class DecodedLogBatchBytes {
  constructor(
    readonly batch: DecodedLogBatch,
    readonly bytes: number,
  ) {}
}

const jobIdTag = tag(1, 2);
const attemptTag = tag(2, 0);
const entryTag = tag(3, 2);
const seqTag = tag(1, 0);
const streamTag = tag(2, 0);
const lineTag = tag(3, 2);
const atTag = tag(4, 0);
const STDOUT = 1;
const STDERR = 2;

const varintLength = (v: number): number => {
  let n = 1;
  while (v > 127) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};

const writeVarint = (buf: Buffer, pos: number, v: number): number => {
  while (v > 127) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
};

/** Encodes a batch whose numbers are non-negative safe integers (what an agent sends). */
export const encodeLogBatch = (batch: LogBatch): Buffer => {
  const { entries } = batch;
  const n = entries.length;
  const lineBytes = new Array<number>(n);
  const entryBytes = new Array<number>(n);
  const jobIdBytes = Buffer.byteLength(batch.jobId, "utf8");
  let size = 1 + varintLength(jobIdBytes) + jobIdBytes + 1 + varintLength(batch.attempt);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const lb = Buffer.byteLength(e.line, "utf8");
    const eb = 1 + varintLength(e.seq) + 2 + 1 + varintLength(lb) + lb + 1 + varintLength(e.atMs);
    lineBytes[i] = lb;
    entryBytes[i] = eb;
    size += 1 + varintLength(eb) + eb;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = jobIdTag;
  let pos = writeVarint(buf, 1, jobIdBytes);
  pos += buf.write(batch.jobId, pos, "utf8");
  buf[pos++] = attemptTag;
  pos = writeVarint(buf, pos, batch.attempt);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    buf[pos++] = entryTag;
    pos = writeVarint(buf, pos, entryBytes[i]!);
    buf[pos++] = seqTag;
    pos = writeVarint(buf, pos, e.seq);
    buf[pos++] = streamTag;
    buf[pos++] = e.stream === "STDOUT" ? STDOUT : STDERR;
    buf[pos++] = lineTag;
    pos = writeVarint(buf, pos, lineBytes[i]!);
    pos += buf.write(e.line, pos, lineBytes[i]!, "utf8");
    buf[pos++] = atTag;
    pos = writeVarint(buf, pos, e.atMs);
  }
  return buf;
};

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
