/**
 * `hodei ui`: opens the web dashboard already signed in. The supervisor makes a one-time link for
 * this CLI's token (found as every client command finds it: HODEI_API_TOKEN, or the supervisor's
 * own data directory on this machine); the page trades the link's code for the token once, so
 * the token itself never appears in a URL. `--no-open` only prints the link.
 */
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { ApiClient } from "./api-client.ts";
import { apiOption } from "./options.ts";

/** The system's opener for a URL; failing to start one is not an error (the link is printed). */
const openInBrowser = (url: string): void => {
  const command =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // No opener here: the printed link is enough.
  }
};

export const registerUiCommand = (program: Command): void => {
  program
    .command("ui")
    .description("open the web dashboard with this CLI's token (a one-time link, good for 60 s)")
    .addOption(apiOption())
    .option("--no-open", "print the link only")
    .action(async (o: { api: string; open: boolean }) => {
      const link = await new ApiClient(o.api, process.env["HODEI_API_TOKEN"]).uiLink();
      const url = `${o.api.replace(/\/$/, "")}${link.path}`;
      process.stdout.write(`dashboard: ${url}\n(one-time link: it signs in once, within 60 s)\n`);
      if (o.open) openInBrowser(url);
    });
};
