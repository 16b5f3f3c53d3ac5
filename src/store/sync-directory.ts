import { open } from 'node:fs/promises';

/** Fsyncs a directory, so that a file created or renamed in it survives a power cut. */
export async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot open a directory for fsync; there a new name is only as durable as the OS makes it.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
