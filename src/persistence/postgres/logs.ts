/**
 * PostgreSQL LogStore. Appends go through a group commit: one transaction per batch locks the
 * log heads of the jobs in it (in id order, so two batches cannot deadlock), numbers and caps
 * the chunks (log-cap.ts: a chunk re-sent with a seq the head has passed is dropped there, under
 * the lock), inserts them in one statement and writes the heads back in another.
 */
import { Effect } from "effect";
import { sql, type Kysely } from "kysely";
import { storeError } from "../errors.ts";
import { makeGroupCommit } from "../group-commit.ts";
import { applyCap, emptyLogHead, type LogCap, type LogHead } from "../log-cap.ts";
import {
  appendResult,
  defaultReadLimit,
  LogChunk,
  type AppendResult,
  type LogInput,
  type LogStore,
} from "../logs.ts";
import { Schema } from "effect";
import type { Database } from "./tables.ts";

const decodeChunks = Schema.decodeUnknown(Schema.Array(LogChunk));

interface Append {
  readonly jobId: string;
  readonly inputs: ReadonlyArray<LogInput>;
}

export const makePostgresLogStore = (
  db: Kysely<Database>,
  schema: string,
  cap: LogCap,
  maxBatch: number,
  committed: () => void,
): LogStore => {
  const chunksTable = sql.table(`${schema}.log_chunks`);
  const headsTable = sql.table(`${schema}.log_heads`);

  const commit = (appends: ReadonlyArray<Append>): Promise<ReadonlyArray<AppendResult>> => {
    committed();
    return db.transaction().execute(async (trx) => {
      const ids = [...new Set(appends.map((a) => a.jobId))].sort();
      const rows = await trx
        .selectFrom("log_heads")
        .selectAll()
        .where("job_id", "in", ids)
        .orderBy("job_id")
        .forUpdate()
        .execute();
      const heads = new Map<string, LogHead>(
        rows.map((r) => [
          r.job_id,
          { nextSeq: r.next_seq, bytes: r.bytes, lines: r.lines, truncated: r.truncated },
        ]),
      );
      const changed = new Set<string>();
      const chunks: object[] = [];
      const results = appends.map(({ jobId, inputs }) => {
        const head = heads.get(jobId) ?? emptyLogHead;
        const capped = applyCap(head, inputs, cap);
        if (capped.head !== head) changed.add(jobId);
        heads.set(jobId, capped.head);
        for (const c of capped.chunks) chunks.push({ job_id: jobId, ...c });
        return appendResult(capped);
      });
      if (chunks.length > 0) {
        await sql`insert into ${chunksTable} (job_id, seq, at, stream, attempt, data)
          select * from json_to_recordset(${JSON.stringify(chunks)}::json)
            as r(job_id text, seq bigint, at bigint, stream text, attempt int, data text)`.execute(
          trx,
        );
      }
      if (changed.size > 0) {
        const updated = [...changed].map((id) => {
          const h = heads.get(id)!;
          return {
            job_id: id,
            next_seq: h.nextSeq,
            bytes: h.bytes,
            lines: h.lines,
            truncated: h.truncated,
          };
        });
        await sql`insert into ${headsTable} (job_id, next_seq, bytes, lines, truncated)
          select * from json_to_recordset(${JSON.stringify(updated)}::json)
            as r(job_id text, next_seq bigint, bytes bigint, lines bigint, truncated boolean)
          on conflict (job_id) do update set next_seq = excluded.next_seq, bytes = excluded.bytes,
            lines = excluded.lines, truncated = excluded.truncated`.execute(trx);
      }
      return results;
    });
  };

  const appends = makeGroupCommit(commit, maxBatch);

  const rowsToChunks = (operation: string, rows: ReadonlyArray<Record<string, unknown>>) =>
    Effect.mapError(
      decodeChunks(
        rows.map(({ seq, at, stream, attempt, data }) => ({ seq, at, stream, attempt, data })),
      ),
      storeError(operation),
    );

  return {
    append: (jobId, inputs) =>
      Effect.tryPromise({
        try: () => appends.submit({ jobId, inputs }),
        catch: storeError("logs.append"),
      }),
    read: (jobId, options = {}) =>
      Effect.gen(function* () {
        const from = options.fromSeq ?? 1;
        const limit = options.limit ?? defaultReadLimit;
        const maxBytes = options.maxBytes ?? null;
        const [rows, head] = yield* Effect.tryPromise({
          try: () =>
            Promise.all([
              // With a byte budget: the running total of the page's bytes decides where it
              // ends, in the server, so no more than the page crosses the wire.
              maxBytes === null
                ? db
                    .selectFrom("log_chunks")
                    .selectAll()
                    .where("job_id", "=", jobId)
                    .where("seq", ">=", from)
                    .orderBy("seq")
                    .limit(limit)
                    .execute()
                : sql<Record<string, unknown>>`
                    select seq, at, stream, attempt, data from (
                      select seq, at, stream, attempt, data,
                        sum(octet_length(data)) over (order by seq) - octet_length(data) as before
                      from ${chunksTable}
                      where job_id = ${jobId} and seq >= ${from}
                      order by seq limit ${limit}) page
                    where before < ${maxBytes} or before = 0
                    order by seq`
                    .execute(db)
                    .then((r) => r.rows),
              db
                .selectFrom("log_heads")
                .select("truncated")
                .where("job_id", "=", jobId)
                .executeTakeFirst(),
            ]),
          catch: storeError("logs.read"),
        });
        const chunks = yield* rowsToChunks("logs.read", rows);
        return {
          chunks,
          nextSeq: (chunks.at(-1)?.seq ?? from - 1) + 1,
          truncated: head?.truncated ?? false,
        };
      }),
    tail: (jobId, count) =>
      count <= 0
        ? Effect.succeed([])
        : Effect.tryPromise({
            try: () =>
              db
                .selectFrom("log_chunks")
                .selectAll()
                .where("job_id", "=", jobId)
                .orderBy("seq", "desc")
                .limit(count)
                .execute(),
            catch: storeError("logs.tail"),
          }).pipe(Effect.flatMap((rows) => rowsToChunks("logs.tail", [...rows].reverse()))),
  };
};
