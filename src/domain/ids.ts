/**
 * Branded identifiers. A JobId is not a WorkerId, even though both are strings on the wire.
 *
 * Ids are ULIDs (48-bit millisecond time, 80 random bits, Crockford base32): they sort by
 * creation time, which gives FIFO order and stable cursors for free.
 */
import { randomFillSync } from "node:crypto";
import { Schema } from "effect";

const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const JobId = Schema.String.pipe(Schema.pattern(ulidPattern), Schema.brand("JobId"));
export type JobId = typeof JobId.Type;
/** `JobId`'s check alone, for hand-written decoders. */
export const isJobId = (s: string): boolean => ulidPattern.test(s);

export const WorkerId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  Schema.brand("WorkerId"),
);
export type WorkerId = typeof WorkerId.Type;

export const PipelineRunId = Schema.String.pipe(
  Schema.pattern(ulidPattern),
  Schema.brand("PipelineRunId"),
);
export type PipelineRunId = typeof PipelineRunId.Type;

export const PipelineName = Schema.String.pipe(
  Schema.pattern(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  Schema.brand("PipelineName"),
);
export type PipelineName = typeof PipelineName.Type;

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
const random = new Uint8Array(10);
let lastTime = -1;
let lastRandom = new Uint8Array(10);
/** The time part of the ids of `lastTime`'s millisecond: made once per millisecond. */
let timePart = "";
/** The random part's characters, reused: ids are made often (one per job). */
const randomCodes: number[] = new Array<number>(16).fill(0);

/** Monotonic within one process: ids made in the same millisecond still sort in order. */
export const ulid = (now: number = Date.now()): string => {
  if (now <= lastTime) {
    // Same (or earlier) millisecond: increment the random part instead of redrawing it.
    for (let i = 9; i >= 0; i--) {
      const v = lastRandom[i]!;
      if (v < 255) {
        lastRandom[i] = v + 1;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    randomFillSync(random);
    lastRandom = Uint8Array.from(random);
    lastTime = now;
    let time = "";
    let t = now;
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32]! + time;
      t = Math.floor(t / 32);
    }
    timePart = time;
  }
  // 80 bits -> 16 base32 characters, 5 bits at a time.
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | lastRandom[i]!;
    bits += 8;
    while (bits >= 5) {
      randomCodes[n++] = CODES[(acc >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return timePart + String.fromCharCode.apply(null, randomCodes);
};

/** The millisecond an id of `ulid` was made in (its first ten characters); NaN for another string. */
export const ulidTime = (id: string): number => {
  if (id.length !== 26) return Number.NaN;
  let t = 0;
  for (let i = 0; i < 10; i++) {
    const v = ALPHABET.indexOf(id.charAt(i));
    if (v < 0) return Number.NaN;
    t = t * 32 + v;
  }
  return t;
};

export const newJobId = (now?: number): JobId => ulid(now) as JobId;
export const newPipelineRunId = (now?: number): PipelineRunId => ulid(now) as PipelineRunId;
