/**
 * `hodei tokens`: the supervisor's API tokens, through its API (an admin token is needed: on
 * the supervisor's machine, the one it wrote at its first start is found by itself).
 * - `tokens create --role read|submit|admin [--name n] [--expires-in 30d]`: prints the token
 *   alone on stdout (so `TOKEN=$(hodei tokens create --role submit)` works) and what it is on
 *   stderr. It is shown this once; the supervisor keeps only its digest.
 * - `tokens [list]`: id, role, state, name — never a secret.
 * - `tokens revoke <id>`: for good.
 * `--json` prints what the API answered.
 */
import { InvalidArgumentError, type Command } from "commander";
import type { TokenView } from "../domain/access.ts";
import { ApiClient } from "./api-client.ts";
import { apiOption, print } from "./options.ts";

class TokenClient extends ApiClient {
  create = async (body: unknown) =>
    (await this.call<TokenView & { token: string }>("POST", "/tokens", body)).data;
  list = async () => (await this.call<{ tokens: TokenView[] }>("GET", "/tokens")).data.tokens;
  revoke = async (id: string) =>
    (await this.call<TokenView>("POST", `/tokens/${encodeURIComponent(id)}/revoke`)).data;
}

const client = (o: { api: string }) => new TokenClient(o.api, process.env["HODEI_API_TOKEN"]);

const units: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3 };

/** `90m`, `12h`, `30d` (or milliseconds) as milliseconds. */
const duration = (v: string): number => {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  if (m === null) throw new InvalidArgumentError("expected a duration such as 90m, 12h or 30d");
  return Number(m[1]) * units[m[2] ?? "ms"]!;
};

const stateOf = (t: TokenView, now = Date.now()) =>
  t.revokedAt !== undefined
    ? "revoked"
    : t.expiresAt !== undefined && t.expiresAt <= now
      ? "expired"
      : "active";

const line = (t: TokenView) =>
  [
    t.id,
    t.role.padEnd(6),
    stateOf(t).padEnd(7),
    new Date(t.createdAt).toISOString(),
    t.expiresAt === undefined ? "never expires" : `expires ${new Date(t.expiresAt).toISOString()}`,
    t.name,
  ].join("  ");

export const registerTokenCommands = (program: Command): void => {
  const tokens = program.command("tokens").description("create, list or revoke API tokens");
  tokens
    .command("list", { isDefault: true })
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (o: { api: string; json?: boolean }) => {
      const all = await client(o).list();
      print(o.json === true, all, () => all.map(line).join("\n") || "no tokens");
    });
  tokens
    .command("create")
    .addOption(apiOption())
    .requiredOption("--role <role>", "read, submit or admin")
    .option("--name <name>", "who or what it is for")
    .option("--expires-in <duration>", "e.g. 90m, 12h, 30d (default: never)", duration)
    .option("--json", "print JSON")
    .action(
      async (o: {
        api: string;
        role: string;
        name?: string;
        expiresIn?: number;
        json?: boolean;
      }) => {
        const made = await client(o).create({
          role: o.role,
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.expiresIn !== undefined ? { expiresInMs: o.expiresIn } : {}),
        });
        if (o.json === true) print(true, made, () => "");
        else {
          process.stderr.write(`created ${line(made)}\n(the token is shown this once)\n`);
          process.stdout.write(`${made.token}\n`);
        }
      },
    );
  tokens
    .command("revoke <id>")
    .addOption(apiOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: { api: string; json?: boolean }) => {
      const revoked = await client(o).revoke(id);
      print(o.json === true, revoked, () => `revoked ${line(revoked)}`);
    });
};
