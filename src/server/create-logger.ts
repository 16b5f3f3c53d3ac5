import { type DestinationStream, type Logger, pino } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** Belt and braces: Secret already prints as [secret]; these catch plain strings under telling names. */
export const redactPaths = [
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'signature',
  '*.signature',
  '*.*.signature',
  'signatureToken',
  '*.signatureToken',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.*.headers.authorization',
];

/**
 * The service's logger. JSON lines by default (for log shippers); `pretty` writes one readable line
 * per entry for a person at a terminal (time, level, message, then the fields), through pino-pretty
 * in this thread, so that nothing is lost at exit. Redaction happens before either.
 */
export function createLogger(options: {
  level: string;
  destination: DestinationStream;
  pretty?: { colour: boolean };
}): Logger {
  const destination = options.pretty
    ? PinoPretty({
        destination: options.destination,
        colorize: options.pretty.colour,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      })
    : options.destination;
  return pino({ level: options.level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}
