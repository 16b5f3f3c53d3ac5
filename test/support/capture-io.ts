import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

/** A CliIo whose output is kept as text, for asserting on what a command printed. */
export function captureIo(options: { cwd: string; env?: Record<string, string | undefined> }): CliIo & {
  out(): string;
  err(): string;
} {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        append(chunk.toString());
        callback();
      },
    });
  return {
    stdout: sink((text) => {
      out += text;
    }),
    stderr: sink((text) => {
      err += text;
    }),
    env: options.env ?? {},
    cwd: options.cwd,
    out: () => out,
    err: () => err,
  };
}
