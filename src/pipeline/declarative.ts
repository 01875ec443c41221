/**
 * Declarative pipelines: a JSON or YAML document compiled by the same builder as code.
 *
 *   name: ci
 *   steps:
 *     - { name: build, job: { name: build, command: { argv: [make] } } }
 *     - name: deploy
 *       needs: [build]
 *       when: { input: branch, eq: main }
 *       job: { name: deploy, command: { argv: [deploy, "${{ outputs.build.artifact }}"] } }
 *
 * In order: parse the text, decode it with the domain's `PipelineDefinition` (every field
 * checked, `when` included), check its graph with `validatePipeline` (duplicates, unknown needs,
 * cycles, with their paths), then check what the schema cannot see: every `${{ ... }}` in a job
 * and every `when.output` is well formed and reads only steps among its transitive needs (any
 * other step may not have run yet), and no `${{ ... }}` is in a `shell` command (a value there
 * would run as code: `env` and `argv` carry values as data). The steps go to the builder in dependency order, a job with
 * templates as a function that renders it when the step starts (outputs.ts).
 *
 * Refusals are the domain's `InvalidInput` (not parseable, or not a definition) and
 * `PipelineInvalid` (a wrong graph or reference), each naming the path of the problem.
 */
import { Either, Schema } from "effect";
import { parse as parseYaml } from "yaml";
import { decodeWith, invalidInput, summarize } from "../domain/decode.ts";
import { InvalidInput, PipelineInvalid, type Issue } from "../domain/errors.ts";
import { JobSpec } from "../domain/job-spec.ts";
import { PipelineDefinition, validatePipeline, type PipelineStep } from "../domain/pipeline.ts";
import { pipelineFromSource } from "./dag.ts";
import {
  conditionHolds,
  conditionRef,
  expressionsIn,
  parseExpression,
  render,
  type Ref,
} from "./outputs.ts";
import type { Pipeline } from "./pipeline.ts";
import type { RunJobInput } from "./run-job.ts";

const parseText = (text: string, format: "json" | "yaml"): Either.Either<unknown, InvalidInput> => {
  try {
    return Either.right(format === "json" ? JSON.parse(text) : parseYaml(text));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return Either.left(invalidInput([{ path: "", message: `not valid ${format}: ${reason}` }]));
  }
};

/** Every string value inside `value`, with its dotted path below `path`. */
const stringsIn = (value: unknown, path: string): ReadonlyArray<readonly [string, string]> => {
  if (typeof value === "string") return [[path, value]];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => stringsIn(v, `${path}.${k}`));
};

/** Each step's needs, direct or through other needs. */
const transitiveNeeds = (steps: ReadonlyArray<PipelineStep>): ReadonlyMap<string, Set<string>> => {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const memo = new Map<string, Set<string>>();
  const of = (name: string): Set<string> => {
    const known = memo.get(name);
    if (known) return known;
    const all = new Set<string>();
    for (const need of byName.get(name)?.needs ?? [])
      [need, ...of(need)].forEach((n) => all.add(n));
    memo.set(name, all);
    return all;
  };
  steps.forEach((s) => of(s.name));
  return memo;
};

/**
 * Templates never become code: substituted into a `shell` command, a value holding `$(...)`,
 * backticks, `;` or quotes would run as part of the script. Values reach a script as
 * environment variables (what CI systems recommend), or commands take them as `argv`.
 */
const shellTemplate = (expr: string): string => {
  const name = expr
    .split(".")
    .at(-1)!
    .replace(/[^A-Za-z0-9_]/g, "_")
    .toUpperCase();
  return `\${{ ${expr} }} in a shell command would run its value as shell code: pass it in env (env: { ${name}: "\${{ ${expr} }}" }, then "$${name}" in the command) or use argv`;
};

/** The issues of templates and conditions: malformed, or reading a step that is not a need. */
const referenceIssues = (def: PipelineDefinition): ReadonlyArray<Issue> => {
  const names = def.steps.map((s) => s.name);
  const needs = transitiveNeeds(def.steps);
  const issues: Issue[] = [];
  const check = (step: PipelineStep, path: string, ref: Ref | string, what: string) => {
    if (typeof ref === "string") issues.push({ path, message: `${what}${ref}` });
    else if (ref.from === "output" && !needs.get(step.name)?.has(ref.step)) {
      const message = `${what}step "${step.name}" reads the outputs of "${ref.step}", which it does not need (directly or through its needs)`;
      issues.push({ path, message });
    }
  };
  def.steps.forEach((step, i) => {
    if (step.job.idempotencyKey !== undefined) {
      const message = "a step's job gets its idempotency key from the run; remove it";
      issues.push({ path: `steps.${i}.job.idempotencyKey`, message });
    }
    for (const [path, text] of stringsIn(step.job, `steps.${i}.job`)) {
      for (const expr of expressionsIn(text)) {
        check(step, path, parseExpression(expr, names), `\${{ ${expr} }}: `);
      }
    }
    const shell = step.job.command?.shell;
    const inShell = shell === undefined ? undefined : expressionsIn(shell)[0];
    if (inShell !== undefined) {
      issues.push({ path: `steps.${i}.job.command.shell`, message: shellTemplate(inShell) });
    }
    if (step.when !== undefined) {
      check(step, `steps.${i}.when.output`, conditionRef(step.when, names), "");
    }
  });
  return issues;
};

/** The steps in dependency order, otherwise in the order written. */
const ordered = (steps: ReadonlyArray<PipelineStep>): ReadonlyArray<PipelineStep> => {
  const done = new Set<string>();
  const out: PipelineStep[] = [];
  while (out.length < steps.length) {
    const next = steps.find((s) => !done.has(s.name) && s.needs.every((n) => done.has(n)))!;
    done.add(next.name);
    out.push(next);
  }
  return out;
};

const encodeJob = Schema.encodeSync(JobSpec);

/**
 * A decoded definition as a pipeline: its graph checked (`validatePipeline`), then its
 * references (see the header). Every caller gets both checks: the order below needs a DAG.
 */
export const compileDefinition = (
  decoded: PipelineDefinition,
): Either.Either<Pipeline, PipelineInvalid> => {
  const valid = validatePipeline(decoded);
  if (Either.isLeft(valid)) return Either.left(valid.left);
  const def = valid.right;
  const issues = referenceIssues(def);
  if (issues.length > 0)
    return Either.left(new PipelineInvalid({ message: summarize(issues), issues }));
  const names = def.steps.map((s) => s.name);
  let builder = pipelineFromSource(def.name, { failFast: def.failFast ?? true }, def);
  for (const step of ordered(def.steps)) {
    const spec = encodeJob(step.job) as RunJobInput;
    const templated = stringsIn(spec, "").some(([, text]) => expressionsIn(text).length > 0);
    const cond = step.when;
    const ref = cond === undefined ? undefined : (conditionRef(cond, names) as Ref);
    builder = builder.step(step.name, {
      needs: step.needs,
      job: templated ? (ctx) => render(spec, ctx, names) as RunJobInput : spec,
      ...(cond !== undefined && ref !== undefined
        ? { when: (ctx) => conditionHolds(cond, ref, ctx) }
        : {}),
    });
  }
  return Either.right(builder);
};

/** Parses, decodes, validates and compiles a pipeline document. */
export const parsePipelineDocument = (
  text: string,
  format: "json" | "yaml",
): Either.Either<Pipeline, InvalidInput | PipelineInvalid> =>
  parseText(text, format).pipe(
    Either.flatMap(decodeWith(PipelineDefinition)),
    Either.flatMap((def) => compileDefinition(def)),
  );
