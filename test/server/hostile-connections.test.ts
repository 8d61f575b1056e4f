/**
 * Idle and slow clients: connections beyond the cap are closed as they
 * arrive, and a client that never finishes its headers is disconnected, so
 * the server answers again once they are gone instead of running out of
 * descriptors.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS } from '../../server/connections';
import { eventually, startServer, type TestServer } from './helpers';

let server: TestServer;
const MAX = 8;

beforeAll(async () => {
  server = await startServer({ connections: { maxConnections: MAX, headersTimeoutMs: 300 } });
});
afterAll(() => server.close());

/** Opens a raw connection that sends `text` (nothing by default) and then waits. */
function idle(text = ''): Promise<{ socket: Socket; closed: Promise<void> }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      if (text) socket.write(text);
      resolve({ socket, closed: new Promise((done) => socket.once('close', () => done())) });
    });
    // Read what arrives (a 408, the end), so the socket sees the server close it.
    socket.resume();
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

const healthy = async () => {
  try {
    return (await server.call('GET', '/health', { key: null })).status === 200;
  } catch {
    return false;
  }
};

describe('connection limits', () => {
  it('has documented defaults below the usual descriptor limit', () => {
    expect(DEFAULT_CONNECTION_LIMITS).toEqual({
      maxConnections: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 5_000,
    });
  });

  it('disconnects clients that send no request or never finish its headers, and answers again', async () => {
    const clients = await Promise.all([
      ...Array.from({ length: MAX * 2 }, () => idle()),
      idle('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: '),
    ]);
    await Promise.all(clients.map((client) => client.closed));
    await eventually(healthy);
    expect(await healthy()).toBe(true);
  });
});
