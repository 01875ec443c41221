/**
 * `hodei config --print-defaults`: every setting at its default, as a config file with each
 * setting's meaning, flag and environment variable above it (`--format markdown`: the table the
 * README carries). Both are generated from the config schema (config-docs.ts).
 */
import { Option, type Command } from "commander";
import { defaultsFile, settingsTable } from "../config-docs.ts";
import { usageError } from "./options.ts";

export const registerConfig = (program: Command): void => {
  program
    .command("config")
    .description("print every supervisor setting with its default, flag and variable")
    .requiredOption("--print-defaults", "print the settings at their defaults")
    .addOption(
      new Option("--format <format>", "yaml (a config file) or markdown (a table)")
        .choices(["yaml", "markdown"])
        .default("yaml"),
    )
    .action((o: { printDefaults?: boolean; format: "yaml" | "markdown" }) => {
      if (o.printDefaults !== true) return usageError("config: use --print-defaults");
      process.stdout.write(o.format === "markdown" ? `${settingsTable()}\n` : defaultsFile());
    });
};
