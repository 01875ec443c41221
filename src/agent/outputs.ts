/**
 * A command job's outputs: the line protocol a command uses to publish small values for the
 * steps after it in a pipeline.
 *
 *   echo "::hodei-output artifact=dist/app-1.2.3.tgz"
 *
 * A stdout line `::hodei-output <name>=<value>` sets output `<name>` (a letter or `_`, then
 * letters, digits, `_`, `-`, `.`; at most 64 characters) to the string `<value>` (the rest of
 * the line); a later line with the same name replaces it. The line is also logged like any
 * other. At most 64 outputs and 64 KiB of values in all: past that, lines are ignored and the
 * job's log says so once. A succeeded job's outputs are its result's `output` object; a failed
 * job publishes none.
 */
export const outputLine = /^::hodei-output ([A-Za-z_][A-Za-z0-9_.-]{0,63})=(.*)$/;
const maxOutputs = 64;
const maxBytes = 64 * 1024;

export class OutputCollector {
  private readonly values = new Map<string, string>();
  private bytes = 0;
  private warned = false;

  /** Looks at one stdout line; returns a warning to log when an output was dropped. */
  see(line: string): string | undefined {
    const m = outputLine.exec(line);
    if (m === null) return undefined;
    const [, name, value] = m as unknown as [string, string, string];
    const previous = this.values.get(name);
    const bytes = this.bytes - (previous?.length ?? 0) + value.length;
    if ((previous === undefined && this.values.size >= maxOutputs) || bytes > maxBytes) {
      if (this.warned) return undefined;
      this.warned = true;
      return `hodei: output "${name}" dropped: at most ${maxOutputs} outputs and ${maxBytes} bytes of values`;
    }
    this.values.set(name, value);
    this.bytes = bytes;
    return undefined;
  }

  /** The outputs as a result's `output`, or undefined when there are none. */
  result(): Record<string, string> | undefined {
    return this.values.size === 0 ? undefined : Object.fromEntries(this.values);
  }
}
