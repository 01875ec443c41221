/**
 * The last log line forwarded to the core for each attempt, so that lines an agent sends again
 * (after a reconnect it re-sends every batch it had no LogAck for) are not stored twice.
 *
 * It only remembers what this server forwarded: after a supervisor restart the core is the one
 * that must skip lines it already has, which `LogLine.seq` lets it do. Entries go when the
 * attempt's result is acknowledged; the map is bounded so that attempts whose result never
 * comes (a lost worker) cannot grow it forever, the oldest being forgotten first.
 */
export class LogProgress {
  private readonly last = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  private static key(workerId: string, jobId: string, attempt: number): string {
    return `${workerId}\u0000${jobId}\u0000${attempt}`;
  }

  lastSeq(workerId: string, jobId: string, attempt: number): number {
    return this.last.get(LogProgress.key(workerId, jobId, attempt)) ?? 0;
  }

  advance(workerId: string, jobId: string, attempt: number, seq: number): void {
    const key = LogProgress.key(workerId, jobId, attempt);
    this.last.delete(key);
    this.last.set(key, seq);
    if (this.last.size > this.maxEntries) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
  }

  finished(workerId: string, jobId: string, attempt: number): void {
    this.last.delete(LogProgress.key(workerId, jobId, attempt));
  }
}
