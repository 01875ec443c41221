/**
 * The documentation of every setting, generated from the config schema (config.ts): its key in
 * a config file, its flag, its environment variable, its default and its meaning. Three
 * renderings share it: the options of `hodei serve` (with their `--help`), the annotated file
 * `hodei config --print-defaults` prints, and the README's table (a test keeps it equal).
 */
import { Option, Schema, SchemaAST } from "effect";
import { stringify } from "yaml";
import { defaults, envName, HodeiConfig, IsSwitch, NoFlag } from "./config.ts";

export interface SettingDoc {
  /** The key in a config file, and in `HodeiConfig`. */
  readonly key: keyof HodeiConfig;
  /** `--data-dir`; undefined for a secret, which only the environment or a file may give. */
  readonly flag: string | undefined;
  /** The flag takes no value: given, the setting is true. */
  readonly switch: boolean;
  readonly env: string;
  readonly default: string | undefined;
  readonly description: string;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A field's own schema: an optional field is a property signature whose type is the field's
 * schema or undefined.
 */
const astOf = (field: Schema.Schema.All | Schema.PropertySignature.All): SchemaAST.AST => {
  const ast: SchemaAST.AST | Schema.PropertySignature.AST = field.ast;
  if (ast._tag !== "PropertySignatureDeclaration" && ast._tag !== "PropertySignatureTransformation")
    return ast;
  const type = ast._tag === "PropertySignatureDeclaration" ? ast.type : ast.to.type;
  return SchemaAST.isUnion(type)
    ? (type.types.find((t) => !SchemaAST.isUndefinedKeyword(t)) ?? type)
    : type;
};

/** Every setting, in the schema's order. A setting without a description is a defect. */
export const settingDocs = (): ReadonlyArray<SettingDoc> =>
  Object.entries(HodeiConfig.fields).map(([key, field]) => {
    const ast = astOf(field);
    const description = Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast));
    if (description === undefined) throw new Error(`config setting ${key} has no description`);
    const k = key as keyof HodeiConfig;
    return {
      key: k,
      flag: ast.annotations[NoFlag] === true ? undefined : `--${kebab(key)}`,
      switch: ast.annotations[IsSwitch] === true,
      env: envName(k),
      // Every default is text; `queues` (a mapping) has none.
      default: defaults[k] as string | undefined,
      description,
    };
  });

/** A config file with every setting at its default, each with its meaning above it. */
export const defaultsFile = (): string => {
  const lines = [
    "# Hodei supervisor settings, at their defaults (hodei serve --config <this file>).",
    "# Flags win over HODEI_* environment variables, which win over this file.",
  ];
  for (const s of settingDocs()) {
    const where = [s.flag, s.env].filter((x) => x !== undefined).join(", ");
    lines.push("", `# ${s.description} (${where})`);
    // Numbers as numbers: the file is read back through the same schema as the flags.
    const value =
      s.default === undefined ? "" : /^\d+$/.test(s.default) ? Number(s.default) : s.default;
    const line = stringify({ [s.key]: value }).trimEnd();
    lines.push(s.default === undefined ? `# ${s.key}:` : line);
  }
  return `${lines.join("\n")}\n`;
};

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The README's table: setting, flag, environment variable, default, meaning. */
export const settingsTable = (): string => {
  const rows = settingDocs().map((s) =>
    [
      `\`${s.key}\``,
      s.flag === undefined ? "—" : `\`${s.flag}\``,
      `\`${s.env}\``,
      s.default === undefined ? "—" : `\`${s.default}\``,
      cell(s.description),
    ].join(" | "),
  );
  return [
    "| setting | flag | environment | default | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r} |`),
  ].join("\n");
};
