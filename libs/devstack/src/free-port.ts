import { createServer } from 'node:net';

/**
 * A TCP port that is free on 127.0.0.1 right now: the OS picks one for a throwaway listener,
 * which is closed before the port is returned. Another process could take it in between, so
 * callers that spawn a server on it should treat "address in use" as a reason to retry.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: listener has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
