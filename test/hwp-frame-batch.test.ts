/**
 * FrameBatch, alone: one item leaves as its own message; on a quiet session the items added by
 * one run of code leave as one frame, in order, before the event loop's next callback; once
 * frames fill, the items of a turn leave at its end; a frame closes early at its item or byte
 * bound, an unbatched message flushes first, and discarded items never leave.
 */
import { describe, expect, it } from "vitest";
import { FrameBatch } from "../src/protocol/frame-batch.ts";

type Message = { one: string } | { many: ReadonlyArray<string> } | { other: string };

const batch = (o: { maxItems?: number; maxBytes?: number } = {}) => {
  const written: Message[] = [];
  const frames = new FrameBatch<string, Message>({
    write: (m) => written.push(m),
    single: (one) => ({ one }),
    many: (many) => ({ many }),
    sizeOf: (s) => s.length,
    ...o,
  });
  return { frames, written };
};

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("FrameBatch", () => {
  it("sends one item alone as its own message once the code that added it is done", async () => {
    const { frames, written } = batch();
    frames.add("a");
    expect(written).toEqual([]);
    await Promise.resolve();
    expect(written).toEqual([{ one: "a" }]);
  });

  it("sends the items one run of code added as one frame, in order", async () => {
    const { frames, written } = batch();
    for (const s of ["a", "b", "c"]) frames.add(s);
    await Promise.resolve();
    expect(written).toEqual([{ many: ["a", "b", "c"] }]);
  });

  it("once frames fill, sends the items of one turn as one frame at its end", async () => {
    const { frames, written } = batch();
    const full = Array.from({ length: 17 }, (_, i) => `a${i}`);
    for (const s of full) frames.add(s); // quiet: leave at once, 17 items
    await Promise.resolve();
    frames.add("d"); // busy: waits for the end of the turn
    await Promise.resolve();
    frames.add("e");
    await Promise.resolve();
    expect(written).toEqual([{ many: full }]);
    await nextTurn();
    expect(written).toEqual([{ many: full }, { many: ["d", "e"] }]);
    frames.add("f"); // the last frame carried 2 items: quiet again
    await Promise.resolve();
    expect(written).toEqual([{ many: full }, { many: ["d", "e"] }, { one: "f" }]);
  });

  it("writes a quiet session's frame before the event loop's next callback: HTTP/2 sends it in this turn", async () => {
    const { frames, written } = batch();
    let seen: Message[] = [];
    setImmediate(() => (seen = [...written]));
    frames.add("a");
    frames.add("b");
    await nextTurn();
    expect(seen).toEqual([{ many: ["a", "b"] }]);
  });

  it("closes a frame at maxItems and before it would pass maxBytes", async () => {
    const { frames, written } = batch({ maxItems: 2, maxBytes: 10 });
    frames.add("a");
    frames.add("b"); // second item: the frame is full
    frames.add("cccccc");
    frames.add("dddddd"); // 12 bytes with the previous one: it goes alone
    await nextTurn();
    expect(written).toEqual([{ many: ["a", "b"] }, { one: "cccccc" }, { one: "dddddd" }]);
  });

  it("flushes what is pending before a message that is never batched", () => {
    const { frames, written } = batch();
    frames.add("a");
    frames.add("b");
    frames.send({ other: "drain" });
    expect(written).toEqual([{ many: ["a", "b"] }, { other: "drain" }]);
    expect(frames.pending).toBe(0);
  });

  it("drops discarded items: nothing is written for them, then or later", async () => {
    const { frames, written } = batch();
    frames.add("a");
    frames.discard();
    await nextTurn();
    expect(written).toEqual([]);
    frames.add("b");
    await nextTurn();
    expect(written).toEqual([{ one: "b" }]);
  });
});
