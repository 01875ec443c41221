/**
 * JobSpec refusals: every kind of bad input names the field's path and the reason, and nothing
 * oversize is accepted or echoed back — the contract behind the HTTP API's 400 answers.
 */
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeJobSpec, Limits, type InvalidInput, type Issue } from "../src/domain/index.ts";

const fail = (u: unknown): InvalidInput => {
  const r = decodeJobSpec(u);
  if (Either.isRight(r)) throw new Error(`expected failure, got ${JSON.stringify(r.right)}`);
  return r.left;
};
const issueAt = (u: unknown, path: string): Issue => {
  const { issues } = fail(u);
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}: ${JSON.stringify(issues)}`);
  return found;
};

const minimal = { name: "build", command: { argv: ["make", "all"] } };

describe("invalid job specs name the field and the reason", () => {
  it.each([
    ["wrong type for name", { ...minimal, name: 5 }, "name", /Expected a name/],
    ["empty name", { ...minimal, name: "" }, "name", /actual ""/],
    [
      "argv of the wrong type",
      { name: "x", command: { argv: "ls" } },
      "command.argv",
      /actual "ls"/,
    ],
    ["empty argv", { name: "x", command: { argv: [] } }, "command.argv", /at least one item/],
    ["non-string arg", { name: "x", command: { argv: ["ls", 1] } }, "command.argv.1", /string/],
    ["neither command nor handler", { name: "x" }, "command", /is missing.*"command" or "handler"/],
    ["both command and handler", { ...minimal, handler: { name: "h" } }, "handler", /not allowed/],
    [
      "both argv and shell",
      { name: "x", command: { argv: ["a"], shell: "a" } },
      "command.shell",
      /not allowed/,
    ],
    ["neither argv nor shell", { name: "x", command: { env: {} } }, "command.argv", /is missing/],
    [
      "negative memory",
      { ...minimal, resources: { memoryMb: -1 } },
      "resources.memoryMb",
      /integer from 0 to .*actual -1/,
    ],
    [
      "fractional cpu",
      { ...minimal, resources: { cpuMillis: 1.5 } },
      "resources.cpuMillis",
      /actual 1.5/,
    ],
    ["resources not an object", { ...minimal, resources: "big" }, "resources", /resources object/],
    ["excess top-level property", { ...minimal, comand: {} }, "comand", /is unexpected/],
    [
      "excess nested property",
      { name: "x", command: { argv: ["a"], envv: {} } },
      "command.envv",
      /is unexpected/,
    ],
    [
      "bad env name",
      { name: "x", command: { argv: ["a"], env: { "1X": "v" } } },
      "command.env.1X",
      /environment variable name/,
    ],
    ["bad label key", { ...minimal, labels: { "bad key": "v" } }, "labels.bad key", /label key/],
    [
      "unknown priority",
      { ...minimal, priority: "urgent" },
      "priority",
      /"low", "normal".*actual "urgent"/,
    ],
    ["priority out of range", { ...minimal, priority: 1001 }, "priority", /actual 1001/],
    [
      "retry attempts of 0",
      { ...minimal, retry: { maxAttempts: 0 } },
      "retry.maxAttempts",
      /actual 0/,
    ],
    ["zero timeout", { ...minimal, timeoutMs: 0 }, "timeoutMs", /integer from 1/],
    [
      "unknown constraint op",
      { ...minimal, constraints: [{ key: "a", op: "like", value: "x" }] },
      "constraints.0.op",
      /"eq" \| "neq" \| "in" \| "exists"/,
    ],
    [
      "constraint missing value",
      { ...minimal, constraints: [{ key: "a", op: "eq" }] },
      "constraints.0.value",
      /is missing/,
    ],
    [
      "non-JSON handler input",
      { name: "x", handler: { name: "h", input: { a: [1, Number.NaN] } } },
      "handler.input.a.1",
      /finite number/,
    ],
  ])("%s", (_what, input, path, reason) => {
    expect(issueAt(input, path).message).toMatch(reason);
  });

  it("summarises the first issue as `path: message` and counts the rest", () => {
    const error = fail({ ...minimal, resources: { memoryMb: -1 }, priority: "urgent" });
    expect(error._tag).toBe("InvalidInput");
    expect(error.message).toMatch(/^resources\.memoryMb: Expected .* \(and 1 more\)$/);
    expect(error.issues).toHaveLength(2);
  });

  it("refuses a value that is not an object at all, at the root", () => {
    expect(fail(null).issues).toEqual([
      { path: "", message: "Expected a job spec object, actual null" },
    ]);
    expect(fail([]).message).toMatch(/^Expected a job spec object/);
  });

  describe("oversize", () => {
    it("a name past the limit", () => {
      const name = "n".repeat(Limits.nameLength + 1);
      expect(issueAt({ ...minimal, name }, "name").message).toMatch(/a string of 129 characters/);
    });
    it("too many env variables", () => {
      const env = Object.fromEntries(
        Array.from({ length: Limits.envCount + 1 }, (_, i) => [`V${i}`, ""]),
      );
      expect(issueAt({ name: "x", command: { argv: ["a"], env } }, "command.env").message).toMatch(
        /at most 256 variables, actual 257/,
      );
    });
    it("too many argv items", () => {
      const argv = Array.from({ length: Limits.argvCount + 1 }, () => "a");
      expect(issueAt({ name: "x", command: { argv } }, "command.argv").message).toMatch(
        /at most 1024 items, actual 1025/,
      );
    });
    it("handler input too large, without echoing it back", () => {
      const input = "x".repeat(Limits.jsonLength + 1);
      const { message } = issueAt({ name: "x", handler: { name: "h", input } }, "handler.input");
      expect(message).toMatch(/at most 1048576 characters/);
      expect(message.length).toBeLessThan(200);
    });
    it("handler input that would expand past the limit stops counting there", () => {
      // 2^50 leaves as text, but only 50 distinct arrays in memory: the walk must not expand it.
      let input: unknown = "x";
      for (let i = 0; i < 50; i++) input = [input, input];
      expect(issueAt({ name: "x", handler: { name: "h", input } }, "handler.input").message).toBe(
        `Expected JSON of at most ${Limits.jsonLength} characters, actual more`,
      );
    });
    it("handler input nested too deep", () => {
      let input: unknown = 1;
      for (let i = 0; i < Limits.jsonDepth + 1; i++) input = [input];
      expect(fail({ name: "x", handler: { name: "h", input } }).message).toMatch(/nested at most/);
    });
  });
});

/**
 * Null where a record or list goes: the count limits' messages once read `issue.actual` as a
 * container and threw on null, so the decode died (500, and a coalesced batch of single
 * submits failed with it). Now it is refused, with its path.
 */
describe("null where a record or list goes", () => {
  it.each([
    ["labels", { ...minimal, labels: null }, "labels"],
    ["env", { name: "x", command: { argv: ["a"], env: null } }, "command.env"],
    ["argv", { name: "x", command: { argv: null } }, "command.argv"],
    ["constraints", { ...minimal, constraints: null }, "constraints"],
  ])("%s: null is refused with its path", (_what, input, path) => {
    expect(issueAt(input, path).message).toMatch(/actual null/);
  });
});
