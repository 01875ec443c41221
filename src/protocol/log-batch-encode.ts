/**
 * LogBatch to bytes by hand (the agent's side): the one message that carries a job's whole
 * output. protobufjs handles a line in three steps — `fromObject` copies, and the int64 `seq`
 * and `atMs` through Long objects and decimal strings — which made encoding the larger part of
 * what a printing job cost its agent.
 *
 * It writes the same bytes protobufjs writes for the same batch (every field written, in field
 * order; a test compares them), so nothing changes on the wire. Text is Buffer's UTF-8: a lone
 * surrogate (a handler can log one) becomes U+FFFD, as protobufjs writes it in strings of 40
 * characters or more (shorter ones it writes as invalid UTF-8). The supervisor reads these
 * bytes back in src/hwp/log-batch-bytes.ts.
 */
import type { LogBatch } from "./wire.ts";

/** A field's key byte: its number and wire type. */
const tag = (field: number, wireType: 0 | 2): number => (field << 3) | wireType;

export const jobIdTag = tag(1, 2);
export const attemptTag = tag(2, 0);
export const entryTag = tag(3, 2);
export const seqTag = tag(1, 0);
export const streamTag = tag(2, 0);
export const lineTag = tag(3, 2);
export const atTag = tag(4, 0);
export const STDOUT = 1;
export const STDERR = 2;

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
