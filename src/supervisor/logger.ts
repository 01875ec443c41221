/**
 * The supervisor's own log: levelled and structured. One JSON object per line when stderr is
 * not a terminal (for log collectors), a short readable line when it is (for people).
 */
export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  readonly debug: (message: string, fields?: Record<string, unknown>) => void;
  readonly info: (message: string, fields?: Record<string, unknown>) => void;
  readonly warn: (message: string, fields?: Record<string, unknown>) => void;
  readonly error: (message: string, fields?: Record<string, unknown>) => void;
}

const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export const makeLogger = (
  level: Level,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Logger => {
  const json = out.isTTY !== true;
  const write =
    (l: Level) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (order[l] < order[level]) return;
      const time = new Date().toISOString();
      if (json) {
        out.write(`${JSON.stringify({ time, level: l, msg: message, ...fields })}\n`);
      } else {
        const rest = Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
        out.write(`${time.slice(11, 19)} ${l.padEnd(5)} ${message}${rest ? ` ${rest}` : ""}\n`);
      }
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
};
