import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchWithTimeout } from '../../src/kernel/fetch-with-timeout.js';

const servers: Server[] = [];

async function listen(handle: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('fetchWithTimeout and redirects', () => {
  it('answers a 3xx as it is, and never takes the Authorization header to where it points', async () => {
    const elsewhere: (string | undefined)[] = [];
    const otherPort = await listen((req, res) => {
      elsewhere.push(req.headers.authorization);
      res.end('{}');
    });
    const port = await listen((_req, res) => {
      // Another host name for the same machine: a cross-origin redirect.
      res.writeHead(302, { location: `http://localhost:${otherPort}/steal` }).end();
    });
    const answer = await fetchWithTimeout(
      fetch,
      {
        method: 'GET',
        url: `http://127.0.0.1:${port}/v1/opportunities`,
        authorization: 'Basic canary-key-6d1',
      },
      5_000,
    );
    expect(answer).toMatchObject({ kind: 'answered', status: 302 });
    expect(elsewhere).toEqual([]);
  });
});
