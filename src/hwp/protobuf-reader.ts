/**
 * Just enough of the protobuf wire format to read the hot messages (heartbeats, log batches)
 * straight from their bytes, for the hand-written decoders in heartbeat-bytes.ts and
 * log-batch-bytes.ts. It never throws: anything it cannot read plainly (a varint past 2^53, a
 * length running off the end) sets `failed`, and the caller gives the bytes to protobufjs,
 * which stays the reference decoder of every message.
 */

/** A field's tag as it appears on the wire: `field << 3 | wireType`. */
export const tag = (field: number, wireType: 0 | 1 | 2 | 5): number => (field << 3) | wireType;

export class ProtobufReader {
  pos: number;
  failed = false;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get more(): boolean {
    return this.pos < this.end && !this.failed;
  }

  /** An unsigned varint as a number, if it is a safe integer (at most 8 bytes). */
  varint(): number {
    const { buf, end } = this;
    let pos = this.pos;
    if (pos < end) {
      const b = buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8 && pos < end; i++) {
      const b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        if (value <= Number.MAX_SAFE_INTEGER) return value;
        break;
      }
      scale *= 128;
    }
    this.failed = true;
    return 0;
  }

  /** A `double` (wire type 1). */
  double(): number {
    if (this.pos + 8 > this.end) {
      this.failed = true;
      return 0;
    }
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** The end offset of a length-delimited field (wire type 2) starting here. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) this.failed = true;
    return end;
  }

  /** A `string` field's text, decoded as protobufjs decodes it (Buffer's UTF-8). */
  string(): string {
    const end = this.lengthEnd();
    if (this.failed) return "";
    const text = this.buf.toString("utf8", this.pos, end);
    this.pos = end;
    return text;
  }
}
