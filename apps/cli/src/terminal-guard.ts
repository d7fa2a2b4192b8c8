// Every string this CLI writes to stdout or stderr passes one filter, so no command can drive the operator's terminal.

import { terminalStreamText } from '@pypi-watch/core/terminal-text';

/**
 * Wraps `write` of process.stdout and process.stderr: tab and line feed stay, other control, C1,
 * bidi and zero-width characters become visible escapes (JSON output stays valid JSON with the
 * same strings). Commands still escape what they print themselves (`why`, `report`, errors); this
 * is the net under every other command and under libraries (commander's messages quote arguments).
 * Buffers pass as they are: pypi-watch writes text. pino writes to the file descriptor itself and
 * escapes on its own (see createLogger).
 */
export function guardTerminalOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the overloads of write() need the cast
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? terminalStreamText(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}
