/**
 * Declarative pipelines: JSON and YAML documents compiled by the builder, driven with the
 * stepper. Refusals are checked by their exact path and message, since that is what a user
 * posting a definition sees.
 */
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../src/domain/json.ts";
import { decodeWith } from "../src/domain/decode.ts";
import { PipelineDefinition } from "../src/domain/pipeline.ts";
import type { Stepped } from "../src/domain/pipeline-machine.ts";
import { doneEvent, type StepChild } from "../src/domain/pipeline-step.ts";
import { compileDefinition, parsePipelineDocument } from "../src/pipeline/declarative.ts";
import { isPipeline, type Pipeline } from "../src/pipeline/pipeline.ts";
import { makeStepper } from "../src/pipeline/stepper.ts";

const ok = (r: Stepped) => {
  if (!r.ok) throw new Error(r.reason);
  return r;
};

const compile = (text: string, format: "json" | "yaml" = "json"): Pipeline => {
  const r = parsePipelineDocument(text, format);
  if (Either.isLeft(r)) throw new Error(`expected a pipeline, got ${r.left.message}`);
  return r.right;
};

const refusal = (doc: unknown) => {
  const r = parsePipelineDocument(JSON.stringify(doc), "json");
  if (Either.isRight(r)) throw new Error("expected a refusal");
  return r.left;
};

/** Starts a run; `done` completes a step and returns the children it started. */
const drive = (p: Pipeline, input: unknown) => {
  const stepper = makeStepper(p.machine);
  const first = ok(stepper.start(input, 0));
  let state = first.state;
  return {
    started: first.started,
    done: (step: string, outputs: Record<string, JsonValue> = {}): ReadonlyArray<StepChild> => {
      const r = ok(stepper.send(state, doneEvent(step, { jobId: step, outputs, exitCode: 0 }), 1));
      state = r.state;
      return r.started;
    },
    get context() {
      return state.snapshot.context as { steps: Record<string, string>; errors: object };
    },
  };
};

const job = (argv: string[], extra: object = {}) => ({
  name: argv[0],
  command: { argv },
  ...extra,
});
const step = (name: string, needs: string[] = [], extra: object = {}) => ({
  name,
  job: job([name]),
  needs,
  ...extra,
});

const ciJson = JSON.stringify({
  name: "ci",
  steps: [
    {
      name: "deploy",
      needs: ["test"],
      when: { input: "branch", eq: "main" },
      job: {
        name: "deploy",
        command: {
          argv: ["deploy", "${{ outputs.build.artifact }}", "--version=${{outputs.build.meta.v}}"],
          env: { TARGET: "${{ input.target }}" },
        },
        timeoutMs: 60000,
      },
    },
    step("build"),
    step("test", ["build"], { job: job(["test"], { retry: { maxAttempts: 3 } }) }),
  ],
});

const ciYaml = `
name: ci
steps:
  - name: deploy
    needs: [test]
    when: { input: branch, eq: main }
    job:
      name: deploy
      command:
        argv: [deploy, "\${{ outputs.build.artifact }}", "--version=\${{outputs.build.meta.v}}"]
        env: { TARGET: "\${{ input.target }}" }
      timeoutMs: 60000
  - { name: build, needs: [], job: { name: build, command: { argv: [build] } } }
  - name: test
    needs: [build]
    job: { name: test, command: { argv: [test] }, retry: { maxAttempts: 3 } }
`;

describe("compiling a document", () => {
  it("compiles JSON into a pipeline, steps in dependency order, with the definition as source", () => {
    const p = compile(ciJson);
    expect(isPipeline(p)).toBe(true);
    expect(p.name).toBe("ci");
    expect(p.plan).toEqual([
      { name: "build", needs: [] },
      { name: "test", needs: ["build"] },
      { name: "deploy", needs: ["test"] },
    ]);
    expect((p.source as { steps: unknown[] }).steps).toHaveLength(3);
  });

  it("compiles the same definition in YAML to the same pipeline version", () => {
    const fromYaml = compile(ciYaml, "yaml");
    expect(fromYaml.plan).toEqual(compile(ciJson).plan);
    expect(fromYaml.version).toBe(compile(ciJson).version);
    expect(fromYaml.version).not.toBe(compile(ciJson.replace("deploy", "ship")).version);
  });

  it("substitutes input and outputs when the step starts, and keeps retry and timeout", () => {
    const run = drive(compile(ciYaml, "yaml"), { branch: "main", target: "prod" });
    expect(run.started.map((c) => c.id)).toEqual(["build"]);
    const [test] = run.done("build", { artifact: "app.tgz", meta: { v: 7 } });
    expect(test?.spec.retry).toMatchObject({ maxAttempts: 3 });
    const [deploy] = run.done("test");
    expect(deploy?.spec.command).toEqual({
      argv: ["deploy", "app.tgz", "--version=7"],
      env: { TARGET: "prod" },
    });
    expect(deploy?.spec.timeoutMs).toBe(60000);
  });

  it("skips a step whose condition does not hold", () => {
    const run = drive(compile(ciJson), { branch: "dev", target: "prod" });
    run.done("build", { artifact: "a", meta: { v: 1 } });
    expect(run.done("test")).toEqual([]);
    expect(run.context.steps.deploy).toBe("skipped");
  });

  it("fails the step, naming the reference, when a template finds nothing", () => {
    const run = drive(compile(ciJson), { branch: "main", target: "prod" });
    run.done("build", { meta: { v: 1 } });
    expect(run.done("test")).toEqual([]);
    expect(run.context.steps.deploy).toBe("failed");
    expect(run.context.errors).toEqual({
      deploy: 'job threw: ${{ outputs.build.artifact }}: step "build" has no output "artifact"',
    });
  });

  it("evaluates output conditions: exists, in, and neq (which holds when absent)", () => {
    const doc = (when: object) =>
      JSON.stringify({
        name: "p",
        failFast: false,
        steps: [step("build"), step("after", ["build"], { when })],
      });
    const runs = (when: object, outputs: Record<string, JsonValue>) => {
      const run = drive(compile(doc(when)), {});
      return run.done("build", outputs).map((c) => c.id);
    };
    expect(runs({ output: "build.version", exists: true }, { version: "1" })).toEqual(["after"]);
    expect(runs({ output: "build.version", exists: true }, {})).toEqual([]);
    expect(runs({ output: "build.version", exists: false }, {})).toEqual(["after"]);
    expect(runs({ output: "build.arch", in: ["arm64", "amd64"] }, { arch: "arm64" })).toEqual([
      "after",
    ]);
    expect(runs({ output: "build.arch", in: ["arm64"] }, {})).toEqual([]);
    expect(runs({ output: "build.arch", neq: "x86" }, {})).toEqual(["after"]);
    expect(runs({ output: "build.n", eq: 3 }, { n: 3 })).toEqual(["after"]);
    expect(runs({ output: "build.n", eq: 3 }, { n: "3" })).toEqual([]);
  });

  it("renders templates inside a handler's JSON input, non-strings as JSON", () => {
    const p = compile(
      JSON.stringify({
        name: "p",
        steps: [
          step("build"),
          {
            name: "notify",
            needs: ["build"],
            job: {
              name: "n",
              handler: { name: "notify", input: { files: "${{ outputs.build.files }}" } },
            },
          },
        ],
      }),
    );
    const [notify] = drive(p, {}).done("build", { files: ["a", "b"] });
    expect(notify?.spec.handler).toEqual({ name: "notify", input: { files: '["a","b"]' } });
  });
});

describe("refusing a document", () => {
  it("refuses text that does not parse, naming the format", () => {
    const json = parsePipelineDocument("{ name: ", "json");
    const yaml = parsePipelineDocument("steps: [a, b", "yaml");
    expect(Either.isLeft(json) && json.left).toMatchObject({ _tag: "InvalidInput" });
    expect(Either.isLeft(json) && json.left.message).toMatch(/^not valid json: /);
    expect(Either.isLeft(yaml) && yaml.left.message).toMatch(/^not valid yaml: /);
  });

  it("names the cycle path", () => {
    const error = refusal({
      name: "p",
      steps: [step("a", ["c"]), step("b", ["a"]), step("c", ["b"])],
    });
    expect(error._tag).toBe("PipelineInvalid");
    expect(error.message).toBe("steps.1.needs.0: cycle in needs: a -> c -> b -> a");
  });

  it("checks the graph when given a decoded definition directly (as the API does)", () => {
    const def = Either.getOrThrow(
      decodeWith(PipelineDefinition)({
        name: "p",
        steps: [step("a", ["c"]), step("b", ["a"]), step("c", ["b"])],
      }),
    );
    const compiled = compileDefinition(def);
    expect(Either.isLeft(compiled) && compiled.left.message).toBe(
      "steps.1.needs.0: cycle in needs: a -> c -> b -> a",
    );
  });

  it("refuses an unknown need and a duplicate name, with their paths", () => {
    expect(refusal({ name: "p", steps: [step("a"), step("b", ["x"])] }).message).toBe(
      'steps.1.needs.0: step "b" needs "x", which is not a step of this pipeline',
    );
    expect(refusal({ name: "p", steps: [step("a"), step("a")] }).message).toBe(
      'steps.1.name: duplicate step name "a", first used by steps.0',
    );
  });

  it("refuses a malformed condition, naming the field", () => {
    const withWhen = (when: unknown) => refusal({ name: "p", steps: [step("a", [], { when })] });
    expect(withWhen("branch == 'main'").message).toBe(
      "steps.0.when: Expected a condition object { input | output, eq | neq | in | exists }, actual \"branch == 'main'\"",
    );
    expect(withWhen({ input: "branch", eq: "main", neq: "dev" }).message).toBe(
      'steps.0.when.neq: is not allowed with "eq": a condition takes one of "eq", "neq", "in", "exists"',
    );
    expect(withWhen({ input: "branch" }).message).toBe(
      'steps.0.when.eq: is missing: a condition needs one of "eq", "neq", "in", "exists"',
    );
    expect(withWhen({ output: "build", exists: true }).message).toMatch(
      /^steps\.0\.when\.output: Expected a step and key: step\.key/,
    );
    expect(withWhen({ input: "x", eq: { a: 1 } }).message).toMatch(
      /^steps\.0\.when\.eq: Expected a string, number, boolean or null/,
    );
    expect(withWhen({ imput: "x", eq: 1 }).issues.map((i) => i.path)).toContain(
      "steps.0.when.imput",
    );
  });

  it("refuses a reference to a step that is not among the (transitive) needs", () => {
    const deploy = (argv: string[], needs: string[], when?: object) => ({
      name: "deploy",
      needs,
      job: job(argv),
      ...(when ? { when } : {}),
    });
    const doc = (d: object) => ({
      name: "p",
      steps: [step("build"), step("lint"), step("test", ["build"]), d],
    });
    // Through `test`, `deploy` needs `build`: reading it is fine.
    expect(
      Either.isRight(
        parsePipelineDocument(
          JSON.stringify(doc(deploy(["d", "${{ outputs.build.x }}"], ["test"]))),
          "json",
        ),
      ),
    ).toBe(true);
    const error = refusal(doc(deploy(["d", "${{ outputs.lint.x }}"], ["test"])));
    expect(error._tag).toBe("PipelineInvalid");
    expect(error.message).toBe(
      'steps.3.job.command.argv.1: ${{ outputs.lint.x }}: step "deploy" reads the outputs of "lint", which it does not need (directly or through its needs)',
    );
    expect(refusal(doc(deploy(["d"], ["test"], { output: "lint.ok", exists: true }))).message).toBe(
      'steps.3.when.output: step "deploy" reads the outputs of "lint", which it does not need (directly or through its needs)',
    );
    expect(refusal(doc(deploy(["d", "${{ secrets.token }}"], ["test"]))).message).toBe(
      'steps.3.job.command.argv.1: ${{ secrets.token }}: "secrets.token" is neither input.<path> nor outputs.<step>.<key>',
    );
    expect(refusal(doc(deploy(["d", "${{ outputs.nope.x }}"], ["test"]))).message).toBe(
      'steps.3.job.command.argv.1: ${{ outputs.nope.x }}: "nope.x" does not start with a step name and a key',
    );
  });

  it("refuses an idempotency key on a step's job", () => {
    const error = refusal({
      name: "p",
      steps: [step("a", [], { job: job(["a"], { idempotencyKey: "k" }) })],
    });
    expect(error.message).toBe(
      "steps.0.job.idempotencyKey: a step's job gets its idempotency key from the run; remove it",
    );
  });
});
