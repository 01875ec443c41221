/**
 * The CLI's HTTP: one request, or one response read as a stream (Server-Sent Events), over
 * node:http or node:https. Not `fetch`: loading Node's fetch (undici) costs a client command
 * about 50 ms at start, a third of what `hodei jobs` may take.
 */
import type { IncomingMessage, RequestOptions } from "node:http";

export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
}

/** Why a request got no answer at all: the connection failed (refused, reset, DNS...). */
export class Unreachable extends Error {
  override readonly name = "Unreachable";
}

const open = async (
  method: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body?: string,
): Promise<IncomingMessage> => {
  const target = new URL(url);
  const { request } =
    target.protocol === "https:" ? await import("node:https") : await import("node:http");
  const options: RequestOptions = {
    method,
    headers: {
      ...headers,
      ...(body !== undefined ? { "content-length": Buffer.byteLength(body) } : {}),
    },
  };
  return new Promise((resolve, reject) => {
    const req = request(target, options, resolve);
    req.on("error", (e: NodeJS.ErrnoException) => reject(new Unreachable(e.code ?? e.message)));
    req.end(body);
  });
};

/** One request, its whole answer as text. */
export const httpRequest = async (
  method: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body?: string,
): Promise<HttpAnswer> => {
  const res = await open(method, url, headers, body);
  res.setEncoding("utf8");
  let text = "";
  for await (const chunk of res) text += chunk as string;
  return { status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text };
};

/** A response whose body is read as it comes (the caller checks the status first). */
export const httpStream = (url: string, headers: Readonly<Record<string, string>>) =>
  open("GET", url, headers);
