/**
 * `npm run bench -- bus`: delivered messages per second through the in-memory bus (1→1, 1→4
 * fan-out, batched publish), and the same 1→1 shape over NATS core when a server answers on
 * 127.0.0.1:4222, so the ratio is measured side by side on the same machine.
 *
 * Backpressure is live in every in-memory case: mailboxes hold CAPACITY messages, far fewer
 * than are sent, so the publisher fills them, waits (suspends its fiber) and is resumed by the
 * consumer draining. Payloads are frozen objects holding a 128-character string, passed by
 * reference as the bus does in production.
 */
import { Effect, Fiber } from "effect";
import { connect } from "nats";
import { defineTopic, makeMemoryBus } from "../src/bus/index.ts";
import type { Publisher, Subscription } from "../src/bus/index.ts";
import { gc, median, printJson, printTable, round } from "./report.ts";

interface Payload {
  readonly seq: number;
  readonly body: string;
}

const CAPACITY = 4096;
const MESSAGES = 4_000_000;
const BATCH = 256;
const RUNS = 15;
const WARMUP = 5;
const NATS_MESSAGES = 200_000;
const NATS_RUNS = 5;

const payloads: ReadonlyArray<Payload> = Array.from({ length: 1024 }, (_, seq) =>
  Object.freeze({ seq, body: String(seq).padStart(128, "x") }),
);
const batches: ReadonlyArray<ReadonlyArray<Payload>> = Array.from({ length: 16 }, (_, b) =>
  Object.freeze(payloads.slice((b * BATCH) % 1024, ((b * BATCH) % 1024) + BATCH)),
);

/**
 * The idiomatic hot publisher: a synchronous loop over `tryPublish`, falling back to the waiting
 * `publish` only when a mailbox is full. The loop lives in its own function so that V8's
 * on-stack compilation of it never has to leave through code it has not seen yet.
 */
const publishWhileRoom = (pub: Publisher<Payload>, from: number, n: number): number => {
  let i = from;
  while (i < n && pub.tryPublish(payloads[i & 1023]!)) i++;
  return i;
};

const produce = (pub: Publisher<Payload>, n: number) =>
  Effect.gen(function* () {
    let i = 0;
    while (i < n) {
      i = publishWhileRoom(pub, i, n);
      if (i < n) yield* pub.publish(payloads[i++ & 1023]!);
    }
  });

const produceBatches = (pub: Publisher<Payload>, n: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < n / BATCH; i++) yield* pub.publishBatch(batches[i & 15]!);
  });

const consume = (sub: Subscription<Payload>, n: number) =>
  Effect.gen(function* () {
    let got = 0;
    let check = 0;
    const handler = (m: Payload): void => {
      check = (check + m.seq) | 0; // stays a small integer: no allocation per message
    };
    while (got < n) {
      yield* sub.awaitMessages;
      got += sub.drain(n - got, handler);
    }
    return check;
  });

interface Run {
  readonly rate: number;
  /** How often the publisher found a mailbox full and suspended: proof backpressure is live. */
  readonly waits: number;
}

/** Delivered messages per second for one publisher and `fanout` subscribers. */
const inMemory = (fanout: number, batched: boolean): Promise<Run> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const bus = yield* makeMemoryBus;
        const topic = defineTopic<Payload>("bench.bus", { capacity: CAPACITY });
        const subs: Array<Subscription<Payload>> = [];
        for (let i = 0; i < fanout; i++) subs.push(yield* bus.subscribe(topic));
        const pub = bus.publisher(topic);
        const consumers = yield* Effect.forEach(subs, (s) => Effect.fork(consume(s, MESSAGES)));
        const start = performance.now();
        yield* batched ? produceBatches(pub, MESSAGES) : produce(pub, MESSAGES);
        yield* Fiber.joinAll(consumers);
        const seconds = (performance.now() - start) / 1000;
        const stats = bus.stats()[0]!;
        if (stats.received !== MESSAGES * fanout) throw new Error(`lost: ${stats.received}`);
        return { rate: (MESSAGES * fanout) / seconds, waits: stats.waits };
      }),
    ),
  );

/**
 * Warm-up runs first, then the measured ones, with no forced GC in between: a full GC throws
 * away optimised code that embeds objects of the previous run, so forcing one before every run
 * measures V8 re-optimising, not the bus. One GC before the series clears the previous shape.
 */
const repeat = async (f: () => Promise<Run>): Promise<Array<Run>> => {
  gc();
  for (let i = 0; i < WARMUP; i++) await f();
  const out: Array<Run> = [];
  for (let i = 0; i < RUNS; i++) out.push(await f());
  return out;
};

/** NATS core 1→1: publisher and subscriber on two connections, 128-byte payloads. */
const natsRuns = async (): Promise<{ rates: Array<number> } | { reason: string }> => {
  let pubConn;
  let subConn;
  try {
    pubConn = await connect({ servers: "127.0.0.1:4222", timeout: 2000 });
    subConn = await connect({ servers: "127.0.0.1:4222", timeout: 2000 });
  } catch (e) {
    await pubConn?.close();
    return { reason: `NATS unreachable on 127.0.0.1:4222: ${String(e)}` };
  }
  const payload = new Uint8Array(128).fill(120);
  const once = async (): Promise<number> => {
    let got = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const sub = subConn.subscribe("bench.bus", {
      callback: () => {
        if (++got === NATS_MESSAGES) done();
      },
    });
    await subConn.flush(); // the server knows the subscription before the first publish
    const start = performance.now();
    for (let i = 0; i < NATS_MESSAGES; i++) pubConn.publish("bench.bus", payload);
    await pubConn.flush();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`NATS: ${got}/${NATS_MESSAGES} after 30 s`)),
        30_000,
      );
    });
    await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
    const seconds = (performance.now() - start) / 1000;
    sub.unsubscribe();
    return NATS_MESSAGES / seconds;
  };
  try {
    await once();
    const rates: Array<number> = [];
    for (let i = 0; i < NATS_RUNS; i++) rates.push(await once());
    return { rates };
  } catch (e) {
    return { reason: String(e) };
  } finally {
    await pubConn.close();
    await subConn.close();
  }
};

export async function run(): Promise<void> {
  const oneToOne = await repeat(() => inMemory(1, false));
  const fanout = await repeat(() => inMemory(4, false));
  const batch = await repeat(() => inMemory(1, true));
  const nats = await natsRuns();
  const natsRate = "rates" in nats ? median(nats.rates) : null;
  if ("reason" in nats) console.log(`nats: ${nats.reason}`);

  const row = (shape: string, rates: ReadonlyArray<number>, n: number, waits?: number) => ({
    shape,
    "median msgs/s": Math.round(median(rates)),
    "min msgs/s": Math.round(Math.min(...rates)),
    "max msgs/s": Math.round(Math.max(...rates)),
    runs: rates.length,
    "messages/run": n,
    "publisher waits/run": waits ?? "-",
  });
  const memory = (shape: string, runs: ReadonlyArray<Run>, n: number) =>
    row(
      shape,
      runs.map((r) => r.rate),
      n,
      median(runs.map((r) => r.waits)),
    );
  const rows = [
    memory("memory 1→1", oneToOne, MESSAGES),
    memory("memory 1→4 fan-out (delivered)", fanout, MESSAGES * 4),
    memory(`memory batched publish (${BATCH}/batch)`, batch, MESSAGES),
  ];
  if ("rates" in nats) rows.push(row("NATS core 1→1", nats.rates, NATS_MESSAGES));
  printTable(`bus: delivered messages/s, mailbox capacity ${CAPACITY}, 128-byte payloads`, rows);

  const rate = (runs: ReadonlyArray<Run>) => Math.round(median(runs.map((r) => r.rate)));
  const bus1to1 = rate(oneToOne);
  printJson({
    bench: "bus",
    bus_1to1_msgs_per_s: bus1to1,
    bus_fanout4_msgs_per_s: rate(fanout),
    bus_batch_msgs_per_s: rate(batch),
    nats_1to1_msgs_per_s: natsRate === null ? null : Math.round(natsRate),
    ratio_vs_nats_1to1: natsRate === null ? null : round(bus1to1 / natsRate, 1),
  });
}
