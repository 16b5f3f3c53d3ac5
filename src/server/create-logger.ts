import { type DestinationStream, type Logger, pino } from 'pino';

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

export function createLogger(options: { level: string; destination: DestinationStream }): Logger {
  return pino(
    { level: options.level, redact: { paths: redactPaths, censor: '[redacted]' } },
    options.destination,
  );
}
