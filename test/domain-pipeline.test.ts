/**
 * Pipeline definitions: the schema checks each step, `validatePipeline` the graph. Every refusal
 * names where the problem is (`steps.2.needs.0`) and, for a cycle, the cycle itself.
 */
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import {
  decodePipeline,
  type InvalidInput,
  type PipelineDefinition,
  type PipelineInvalid,
} from "../src/domain/index.ts";

const job = { name: "j", command: { shell: "true" } };
const step = (name: string, needs?: string[]) => ({ name, job, ...(needs ? { needs } : {}) });

const ok = (u: unknown): PipelineDefinition => {
  const r = decodePipeline(u);
  if (Either.isLeft(r)) throw new Error(`expected success, got ${r.left.message}`);
  return r.right;
};
const fail = (u: unknown): InvalidInput | PipelineInvalid => {
  const r = decodePipeline(u);
  if (Either.isRight(r)) throw new Error("expected failure");
  return r.left;
};

describe("valid pipelines", () => {
  it("decodes a diamond, with needs defaulting to []", () => {
    const def = ok({
      name: "release",
      version: "3",
      steps: [
        step("build"),
        step("test", ["build"]),
        step("lint", ["build"]),
        step("ship", ["test", "lint"]),
      ],
    });
    expect(def.steps.map((s) => [s.name, s.needs])).toEqual([
      ["build", []],
      ["test", ["build"]],
      ["lint", ["build"]],
      ["ship", ["test", "lint"]],
    ]);
    expect(def.steps[0]?.job.resources.memoryMb).toBe(64);
  });

  it("decodes a structured `when` and an optional failFast", () => {
    const def = ok({
      name: "p",
      failFast: false,
      steps: [
        { ...step("a"), when: { input: "git.branch", eq: "main" } },
        { ...step("b", ["a"]), when: { output: "a.version", exists: true } },
        { ...step("c", ["a"]), when: { input: "env", in: ["dev", "prod", 1, null] } },
      ],
    });
    expect(def.failFast).toBe(false);
    expect(def.steps.map((s) => s.when)).toEqual([
      { input: "git.branch", eq: "main" },
      { output: "a.version", exists: true },
      { input: "env", in: ["dev", "prod", 1, null] },
    ]);
  });
});

describe("invalid pipelines", () => {
  it("refuses duplicate step names, pointing at the second one", () => {
    const error = fail({ name: "p", steps: [step("a"), step("b"), step("a")] });
    expect(error._tag).toBe("PipelineInvalid");
    expect(error.issues).toEqual([
      { path: "steps.2.name", message: 'duplicate step name "a", first used by steps.0' },
    ]);
  });

  it("refuses a need that names no step", () => {
    const error = fail({ name: "p", steps: [step("build"), step("test", ["biuld"])] });
    expect(error._tag).toBe("PipelineInvalid");
    expect(error.message).toBe(
      'steps.1.needs.0: step "test" needs "biuld", which is not a step of this pipeline',
    );
  });

  it("reports every duplicate and unknown need at once", () => {
    const error = fail({ name: "p", steps: [step("a", ["x"]), step("a", ["y"])] });
    expect(error.issues.map((i) => i.path)).toEqual([
      "steps.1.name",
      "steps.0.needs.0",
      "steps.1.needs.0",
    ]);
    expect(error.message).toMatch(/\(and 2 more\)$/);
  });

  it("names the cycle path", () => {
    const error = fail({
      name: "p",
      steps: [step("start"), step("a", ["start", "b"]), step("b", ["c"]), step("c", ["a"])],
    });
    expect(error._tag).toBe("PipelineInvalid");
    expect(error.message).toBe("steps.3.needs.0: cycle in needs: a -> b -> c -> a");
    expect((error as PipelineInvalid).cycle).toEqual(["a", "b", "c", "a"]);
  });

  it("sees a step that needs itself as a cycle", () => {
    const error = fail({ name: "p", steps: [step("a", ["a"])] });
    expect((error as PipelineInvalid).cycle).toEqual(["a", "a"]);
  });

  it("refuses schema errors before looking at the graph, with their paths", () => {
    const error = fail({ name: "Bad Name", steps: [{ name: "a", job: { name: "j" }, needz: [] }] });
    expect(error._tag).toBe("InvalidInput");
    expect(error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["name", "steps.0.needz"]),
    );
  });

  it("refuses a `when` that is not one test on one value, naming the field", () => {
    const when = (w: unknown) => fail({ name: "p", steps: [{ ...step("a"), when: w }] });
    expect(when("branch == 'main'").issues[0]?.path).toBe("steps.0.when");
    expect(when({ input: "b", output: "a.b", eq: 1 }).message).toBe(
      'steps.0.when.output: is not allowed with "input": a condition takes one of "input" or "output"',
    );
    expect(when({ eq: 1 }).message).toBe(
      'steps.0.when.input: is missing: a condition needs one of "input" or "output"',
    );
    expect(when({ input: "b", in: [] }).issues[0]?.path).toBe("steps.0.when.in");
    expect(when({ input: "b", exists: "yes" }).issues[0]?.path).toBe("steps.0.when.exists");
  });

  it("refuses an empty pipeline and a step whose job has neither command nor handler", () => {
    expect(fail({ name: "p", steps: [] }).message).toBe("steps: Expected at least one step");
    expect(fail({ name: "p", steps: [{ name: "a", job: { name: "j" } }] }).message).toMatch(
      /^steps\.0\.job\.command: is missing/,
    );
  });
});
