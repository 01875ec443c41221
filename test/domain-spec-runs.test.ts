import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeParsedJobSpec } from "../src/domain/decode.ts";
import { sameData, specRunDecoder } from "../src/domain/spec-runs.ts";

describe("sameData", () => {
  it("is equality of parsed data, whatever the order of an object's keys", () => {
    expect(sameData({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(sameData({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameData({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(sameData({ a: null }, { b: null })).toBe(false);
    expect(sameData([1, 2], [2, 1])).toBe(false);
    expect(sameData([1], { 0: 1 })).toBe(false);
    expect(sameData({ 0: 1 }, [1])).toBe(false);
    expect(sameData({}, null)).toBe(false);
    expect(sameData("1", 1)).toBe(false);
    expect(sameData(0, -0)).toBe(false);
    // A key `b` lacks that names something inherited is still a difference.
    expect(sameData({ constructor: 1 }, { toString: 1 })).toBe(false);
    expect(sameData(JSON.parse('{"constructor":{}}'), {})).toBe(false);
    const proto = JSON.parse('{"__proto__":{}}') as unknown;
    expect(sameData(proto, { k: {} })).toBe(false);
    expect(sameData(proto, JSON.parse('{"__proto__":{}}'))).toBe(true);
    expect(sameData(proto, JSON.parse('{"__proto__":{"a":1}}'))).toBe(false);
  });
});

describe("specRunDecoder", () => {
  const spec = (input: unknown) => ({ name: "n", handler: { name: "h", input } });

  it("gives a spec equal to the one before it that one's spec again, and decodes any other", () => {
    const decode = specRunDecoder();
    const a = decode(spec(null));
    const b = decode(JSON.parse(JSON.stringify(spec(null))));
    expect(Either.isRight(a) && Either.isRight(b) && a.right === b.right).toBe(true);
    const c = decode(spec({ id: 2 }));
    expect(c).toStrictEqual(decodeParsedJobSpec(spec({ id: 2 })));
    expect(Either.getOrThrow(c)).not.toBe(Either.getOrThrow(a));
    // Equal to the one before it only: the first again is decoded anew (and equal).
    expect(Either.getOrThrow(decode(spec(null)))).toStrictEqual(Either.getOrThrow(a));
  });

  it("decodes a spec it refused every time: a refusal is not kept", () => {
    const decode = specRunDecoder();
    const bad = { name: "", handler: { name: "h" } };
    expect(Either.isLeft(decode(bad))).toBe(true);
    expect(Either.isLeft(decode(structuredClone(bad)))).toBe(true);
    const good = decode(spec(null));
    expect(good).toStrictEqual(decodeParsedJobSpec(spec(null)));
    // Nor is a valid spec taken for an invalid one that differs only in a field's value.
    expect(Either.isLeft(decode({ name: "n", handler: { name: "" } }))).toBe(true);
  });
});
