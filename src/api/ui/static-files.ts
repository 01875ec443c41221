/**
 * The web dashboard's files, served by the supervisor itself: `npm run build` compiles the
 * front end (ui/) into `dist/ui` (an `index.html` and hashed files under `assets/`), and this
 * module answers `GET /` with the page and `GET /assets/<name>` with its files. Nothing is
 * fetched from anywhere else at run time: the page's Content-Security-Policy allows only this
 * origin.
 *
 * The files hold no data, so they need no token; everything the page shows comes from the API,
 * which does. Names are checked against a strict pattern before any file is looked up (no
 * `..`, no directories), and files are read once and kept: the directory is a few hundred KB.
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join } from "node:path";

const types: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

const assetName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a page may load and call: this origin only. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const security = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export interface StaticFiles {
  /** Whether `path` is the dashboard's (`/`, `/assets/...`), for GET and HEAD. */
  readonly handles: (path: string) => boolean;
  /** Answers the request; returns the status sent. */
  readonly serve: (path: string, head: boolean, res: ServerResponse) => number;
}

export const makeStaticFiles = (dir: string): StaticFiles => {
  const cache = new Map<string, Buffer | null>();
  const read = (file: string): Buffer | null => {
    let body = cache.get(file);
    if (body === undefined) {
      try {
        body = readFileSync(join(dir, file));
      } catch {
        body = null;
      }
      // A missing index.html may appear with the next build: only files found are kept.
      if (body !== null) cache.set(file, body);
    }
    return body;
  };
  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: Buffer,
    head: boolean,
    cache: string,
  ) => {
    res.writeHead(status, {
      "content-type": type,
      "content-length": body.length,
      "cache-control": cache,
      ...security,
    });
    res.end(head ? undefined : body);
    return status;
  };
  const notFound = (res: ServerResponse, head: boolean, message: string) =>
    send(
      res,
      404,
      "application/json",
      Buffer.from(JSON.stringify({ error: { code: "not_found", message, details: null } })),
      head,
      "no-store",
    );

  return {
    handles: (path) => path === "/" || path === "/index.html" || path.startsWith("/assets/"),
    serve: (path, head, res) => {
      if (path === "/" || path === "/index.html") {
        const page = read("index.html");
        return page === null
          ? notFound(
              res,
              head,
              `the dashboard is not built (no ${join(dir, "index.html")}): run npm run build`,
            )
          : send(res, 200, types[".html"]!, page, head, "no-cache");
      }
      const name = path.slice("/assets/".length);
      const type = types[extname(name)];
      const body = assetName.test(name) && type !== undefined ? read(join("assets", name)) : null;
      if (body === null) return notFound(res, head, `no dashboard file ${path.slice(0, 200)}`);
      // Built names carry a hash of their content: they never change under the same name.
      return send(res, 200, type!, body, head, "public, max-age=31536000, immutable");
    },
  };
};
