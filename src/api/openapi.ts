/**
 * The OpenAPI document, generated from the HttpApi definition, then tidied:
 * - HttpApi declares its own decode error at 400 on every route; this API never answers it (the
 *   router decodes into the common error body), so it goes, with the schemas only it used.
 * - The generator inlines a schema at every response that annotates it (a status, a
 *   description); inlined copies of a named schema (Error, Job, ...) become `$ref`s again, which
 *   keeps the document a fraction of the size.
 */
import { JSONSchema } from "effect";
import { ErrorBody } from "./errors.ts";

type Json = Record<string, any>;

const withoutDescription = (schema: Json): string => {
  const { description: _, ...rest } = schema;
  return JSON.stringify(rest);
};

/** Component schemas no longer referenced (from the paths or other components) are dropped. */
const prune = (spec: Json): void => {
  const schemas = spec.components.schemas as Json;
  for (;;) {
    const text = JSON.stringify({ paths: spec.paths, schemas });
    const unused = Object.keys(schemas).filter(
      (name) => !text.includes(`"#/components/schemas/${name}"`),
    );
    if (unused.length === 0) return;
    for (const name of unused) delete schemas[name];
  }
};

const invalidDescription = "invalid JSON, or input that breaks the schema (details: the issues)";

export const tidy = (spec: Json): Json => {
  const schemas = spec.components.schemas as Json;
  schemas.Error = (JSONSchema.make(ErrorBody) as Json).$defs.Error;
  const named = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    named.set(withoutDescription(schema as Json), name);
  }
  const decodeError = "#/components/schemas/HttpApiDecodeError";
  for (const ops of Object.values(spec.paths as Record<string, Json>)) {
    for (const op of Object.values(ops)) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const media = response.content?.["application/json"];
        if (media === undefined) continue;
        if (media.schema.$ref === decodeError) {
          delete op.responses[status];
          continue;
        }
        if (Array.isArray(media.schema.anyOf)) {
          const rest = media.schema.anyOf.filter((s: Json) => s.$ref !== decodeError);
          media.schema = rest.length === 1 ? rest[0] : { anyOf: rest };
          response.description = invalidDescription;
        }
        const name = named.get(withoutDescription(media.schema));
        if (name !== undefined) media.schema = { $ref: `#/components/schemas/${name}` };
      }
    }
  }
  prune(spec);
  return spec;
};
