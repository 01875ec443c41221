/**
 * Ships one job attempt's output to the supervisor: numbered lines, in batches, over its own
 * StreamLogs call, until every line is durable.
 *
 * - Numbering: `seq` counts from 1 per attempt across stdout and stderr, in arrival order.
 * - Batching: a batch leaves when it holds `maxLines` lines or `maxBytes` bytes, or `maxDelayMs`
 *   after its first line, whichever comes first: big batches under a flood, low latency for a
 *   trickle.
 * - Durability: batches are kept until a LogAck covers them. If the call breaks (supervisor
 *   restart, network), a new one is opened on the next session and every unacknowledged batch
 *   is sent again; the supervisor skips lines it already has.
 * - Backpressure: past `highWaterBytes` unacknowledged, `onPressure(true)` asks the producer
 *   to pause (the child's pipes are paused, so the child blocks on write), and `onPressure(false)`
 *   resumes it below `lowWaterBytes`. Memory stays bounded however fast a job prints.
 * - The cap: an attempt ships at most `capBytes` bytes and `capLines` lines (the store's own
 *   per-job cap, 16 MiB / 200,000 lines by default: more would be dropped there anyway). Past
 *   it, output is dropped here and only counted (`full()` tells the producer, which then stops
 *   splitting lines and just counts: lines.ts `skim`), so a job printing far past the cap is
 *   never slowed by shipping what nobody keeps. `finish()` then ships one last line that says
 *   how much was dropped (`droppedMarker`), the log's visible end.
 * - Bytes: a line may come as bytes (a command's output) or text (a handler's `ctx.log`); it
 *   leaves as text in domain/log-text.ts's escaped form, so NUL and invalid UTF-8 survive.
 * - A call that fails (not a refusal: the store failing, say) is opened again after a backoff
 *   (50 ms doubling to 5 s, reset by an acknowledgement), not in a tight loop.
 * - `finish()` flushes, half-closes and resolves once the supervisor has ended the call OK (all
 *   lines durable): only then is the result reported, so the last lines are never lost.
 */
import { status, type ClientDuplexStream, type StatusObject } from "@grpc/grpc-js";
import { escapeLogBytes, escapeLogText } from "../domain/log-text.ts";
import { encodeLogBatch } from "../protocol/log-batch-encode.ts";
import type { LogEntry } from "../protocol/wire.ts";

export interface LogBatchOptions {
  readonly maxLines: number;
  readonly maxBytes: number;
  readonly maxDelayMs: number;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
  /** Output shipped per attempt at most: past either, it is dropped and counted. */
  readonly capBytes: number;
  readonly capLines: number;
}

/**
 * A flood fills a batch in well under `maxDelayMs`: then its size is what counts, and bigger
 * batches mean fewer messages to frame, send and acknowledge (the supervisor groups whatever
 * arrives while it appends, log-call.ts, so the store's commits grow on their own).
 */
export const defaultLogBatch: LogBatchOptions = {
  maxLines: 1024,
  maxBytes: 256 * 1024,
  maxDelayMs: 20,
  highWaterBytes: 8 * 1024 * 1024,
  lowWaterBytes: 2 * 1024 * 1024,
  capBytes: 16 * 1024 * 1024,
  capLines: 200_000,
};

/** Room kept under the cap for the marker, so the store's own cap does not drop it. */
const markerRoom = 512;

export const droppedMarker = (bytes: number, lines: number, cap: LogBatchOptions): string =>
  `[hodei] output truncated: ${bytes} more bytes in ${lines} lines were dropped past this ` +
  `attempt's log cap of ${cap.capBytes} bytes or ${cap.capLines} lines`;

/** Opens a StreamLogs call once a session is up; rejects when the agent is stopping. */
export type LogTransport = () => Promise<ClientDuplexStream<Buffer, unknown>>;

/** `ok`: every line durable. `refused`: the supervisor refused them. `aborted`: agent stopping. */
export type ShipResult =
  | { readonly kind: "ok" }
  | { readonly kind: "refused"; readonly code: number; readonly message: string }
  | { readonly kind: "aborted" };

/** Codes after which sending again cannot help: the lines are dropped. */
const refusals = new Set<number>([
  status.FAILED_PRECONDITION,
  status.NOT_FOUND,
  status.INVALID_ARGUMENT,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
]);

const entryBytes = (line: string): number => line.length + 24;
const byteLength = (line: Buffer | string): number =>
  typeof line === "string" ? Buffer.byteLength(line) : line.length;

/** A batch sent (encoded once, sent again as is after a reconnect), not yet covered by a LogAck. */
interface Sent {
  readonly encoded: Buffer;
  readonly lastSeq: number;
}

export class LogShipper {
  private seq = 0;
  private pending: LogEntry[] = [];
  private pendingBytes = 0;
  private unacked: Sent[] = [];
  private unackedBytes = 0;
  private stream: ClientDuplexStream<Buffer, unknown> | undefined;
  private opening = false;
  private timer: NodeJS.Timeout | undefined;
  private finishing = false;
  private paused = false;
  private settled: ShipResult | undefined;
  private shippedBytes = 0;
  private shippedLines = 0;
  private droppedBytes = 0;
  private droppedLines = 0;
  private reopenMs = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private resolveDone!: (r: ShipResult) => void;
  private readonly done = new Promise<ShipResult>((resolve) => (this.resolveDone = resolve));

  /** Called with `true` to pause the producer and `false` to resume it. */
  onPressure: (paused: boolean) => void = () => {};
  /** Called once if the supervisor refuses the lines (a stale attempt, say). */
  onRefused: (code: number, message: string) => void = () => {};

  constructor(
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly transport: LogTransport,
    private readonly options: LogBatchOptions = defaultLogBatch,
  ) {}

  /** Past the cap: whatever comes now is dropped, so the producer need not split it. */
  full(): boolean {
    return this.droppedLines > 0;
  }

  /** Output a producer skipped without handing it over (lines.ts `skim`), for the marker. */
  dropped(bytes: number, lines: number): void {
    this.droppedBytes += bytes;
    this.droppedLines += lines;
  }

  push(stream: "stdout" | "stderr", line: Buffer | string): void {
    if (this.settled !== undefined) return;
    // Bytes dropped are counted as printed, each line with its line break.
    if (this.full()) return this.dropped(byteLength(line) + 1, 1);
    const text = typeof line === "string" ? escapeLogText(line) : escapeLogBytes(line);
    const bytes = Buffer.byteLength(text);
    const { capBytes, capLines } = this.options;
    if (this.shippedBytes + bytes > capBytes - markerRoom || this.shippedLines + 1 >= capLines) {
      return this.dropped(byteLength(line) + 1, 1);
    }
    this.shippedBytes += bytes;
    this.shippedLines++;
    this.enqueue(stream, text);
  }

  private enqueue(stream: "stdout" | "stderr", line: string): void {
    this.seq++;
    this.pending.push({
      seq: this.seq,
      stream: stream === "stdout" ? "STDOUT" : "STDERR",
      line,
      atMs: Date.now(),
    });
    this.pendingBytes += entryBytes(line);
    const { maxLines, maxBytes } = this.options;
    if (this.pending.length >= maxLines || this.pendingBytes >= maxBytes) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
    }
    this.checkPressure();
  }

  finish(): Promise<ShipResult> {
    if (this.droppedLines > 0 && this.settled === undefined && !this.finishing) {
      this.enqueue("stderr", droppedMarker(this.droppedBytes, this.droppedLines, this.options));
    }
    this.finishing = true;
    this.flush();
    // Nothing ever needed a call (or every line was acknowledged and the call is gone).
    const callless = this.stream === undefined && !this.opening;
    if (callless && this.unacked.length === 0) this.settle({ kind: "ok" });
    this.stream?.end();
    return this.done;
  }

  abort(): void {
    this.settle({ kind: "aborted" });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.settled !== undefined) return;
    const entries = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const encoded = encodeLogBatch({ jobId: this.jobId, attempt: this.attempt, entries });
    this.unacked.push({ encoded, lastSeq: entries[entries.length - 1]!.seq });
    this.unackedBytes += encoded.length;
    if (this.stream !== undefined) this.stream.write(encoded);
    else this.open();
  }

  private open(): void {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    if (this.stream !== undefined || this.opening || this.settled !== undefined) return;
    this.opening = true;
    this.transport().then(
      (s) => {
        this.opening = false;
        if (this.settled !== undefined) return void s.cancel();
        this.stream = s;
        s.on("data", (ack: unknown) => this.acked(ack));
        s.on("error", () => {});
        s.on("status", (st: StatusObject) => this.closed(s, st));
        for (const u of this.unacked) s.write(u.encoded);
        if (this.finishing) s.end();
      },
      () => {
        this.opening = false;
        this.settle({ kind: "aborted" });
      },
    );
  }

  private acked(ack: unknown): void {
    const seq = Number((ack as { seq?: unknown } | null)?.seq);
    if (!Number.isSafeInteger(seq)) return;
    while (this.unacked.length > 0 && this.unacked[0]!.lastSeq <= seq) {
      this.unackedBytes -= this.unacked.shift()!.encoded.length;
    }
    this.reopenMs = 0;
    this.checkPressure();
  }

  private closed(s: ClientDuplexStream<Buffer, unknown>, st: StatusObject): void {
    if (this.stream !== s) return;
    this.stream = undefined;
    if (this.settled !== undefined) return;
    if (refusals.has(st.code)) {
      this.onRefused(st.code, st.details);
      return this.settle({ kind: "refused", code: st.code, message: st.details });
    }
    const empty = this.unacked.length === 0 && this.pending.length === 0;
    if (empty && this.finishing) return this.settle({ kind: "ok" });
    // Broken (or ended early): send what is unacknowledged again, on the next session; after
    // a failure, not before a backoff (the supervisor's store may be failing).
    if (empty) return;
    if (st.code === status.OK) return this.open();
    this.reopenMs = Math.min(5000, Math.max(50, this.reopenMs * 2));
    this.reopenTimer = setTimeout(() => this.open(), this.reopenMs);
  }

  private checkPressure(): void {
    const held = this.unackedBytes + this.pendingBytes;
    if (!this.paused && held > this.options.highWaterBytes) {
      this.paused = true;
      this.onPressure(true);
    } else if (this.paused && held < this.options.lowWaterBytes) {
      this.paused = false;
      this.onPressure(false);
    }
  }

  private settle(result: ShipResult): void {
    if (this.settled !== undefined) return;
    this.settled = result;
    clearTimeout(this.timer);
    clearTimeout(this.reopenTimer);
    this.pending = [];
    this.unacked = [];
    this.unackedBytes = this.pendingBytes = 0;
    const s = this.stream;
    this.stream = undefined;
    if (result.kind !== "ok") s?.cancel();
    if (this.paused) {
      this.paused = false;
      this.onPressure(false);
    }
    this.resolveDone(result);
  }
}
