/**
 * Cuts a child's output into lines as it arrives, without ever losing the end.
 *
 * Bytes are decoded as UTF-8 with a `StringDecoder`, so a character split across two chunks is
 * not mangled. A trailing `\r` is dropped (CRLF output). A line longer than `maxLineLength` is
 * cut into pieces rather than buffered without bound. `end()` emits what is left after the last
 * newline: the final line of a process that does not end its output with `\n`.
 */
import { StringDecoder } from "node:string_decoder";

export const defaultMaxLineLength = 65_536;

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineLength = defaultMaxLineLength,
  ) {}

  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  end(): void {
    this.take(this.decoder.end());
    if (this.partial !== "") this.line(this.partial);
    this.partial = "";
  }

  private take(text: string): void {
    if (text === "") return;
    let start = 0;
    let data = this.partial + text;
    this.partial = "";
    for (let nl = data.indexOf("\n"); nl !== -1; nl = data.indexOf("\n", start)) {
      this.line(data.slice(start, nl));
      start = nl + 1;
    }
    data = data.slice(start);
    while (data.length > this.maxLineLength) {
      this.emit(data.slice(0, this.maxLineLength));
      data = data.slice(this.maxLineLength);
    }
    this.partial = data;
  }

  private line(text: string): void {
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    for (let i = 0; i < line.length; i += this.maxLineLength) {
      this.emit(line.slice(i, i + this.maxLineLength));
    }
    if (line.length === 0) this.emit("");
  }
}
