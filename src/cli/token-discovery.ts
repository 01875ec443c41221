/**
 * Which token the CLI sends, found without being told, so that `npm start` and then
 * `npx hodei submit …` work as they did before the API asked for tokens:
 *
 * 1. `HODEI_API_TOKEN`, when set: always, to whatever API is named.
 * 2. For an API on this machine (a loopback URL) only: the admin token the supervisor wrote at
 *    its first start, `<dataDir>/api-token`, where the data directory is `HODEI_DATA_DIR`, else
 *    the `dataDir` of the `HODEI_CONFIG` file, else `./.hodei` — the same places `hodei serve`
 *    looks. Never sent to another host: that token is this machine's.
 * 3. None: the API answers 401, and the message says what to set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { tokenFileName } from "../api/auth/token-text.ts";
import { isLoopbackHost } from "../domain/address.ts";

const dataDirOfConfig = (path: string | undefined): string | undefined => {
  if (path === undefined) return undefined;
  try {
    const text = readFileSync(path, "utf8");
    const data: unknown = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    const dir = (data as { dataDir?: unknown } | null)?.dataDir;
    return typeof dir === "string" ? dir : undefined;
  } catch {
    return undefined;
  }
};

export const discoverToken = (
  api: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined => {
  const given = env["HODEI_API_TOKEN"];
  if (given !== undefined && given !== "") return given;
  let host: string;
  try {
    host = new URL(api).hostname;
  } catch {
    return undefined;
  }
  if (!isLoopbackHost(host)) return undefined;
  const dir = env["HODEI_DATA_DIR"] ?? dataDirOfConfig(env["HODEI_CONFIG"]) ?? "./.hodei";
  try {
    const token = readFileSync(join(dir, tokenFileName), "utf8").trim();
    return token === "" ? undefined : token;
  } catch {
    return undefined;
  }
};
