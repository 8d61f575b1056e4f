/**
 * Limits on client connections, so idle or slow clients cannot take every
 * file descriptor or hold the server: how many connections at once, and how
 * long a client may take to send a request's headers and whole request.
 * Node's own defaults (no connection cap, 60 s for headers, 300 s for a
 * request) let ~20,000 idle sockets exhaust the descriptors of a default
 * process.
 */
import type { Server, ServerOptions } from 'node:http';

export interface ConnectionLimits {
  /** Connections open at once; more are closed as they arrive (they leave descriptors for the database and files). */
  maxConnections: number;
  /** Time from a connection (or the previous response) to the end of a request's headers; slower clients are disconnected. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (a 10 MB batch on a slow link needs most of it). */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
};

/** How often the timeouts above are checked (Node's default of 30 s would let a timeout run late by as much). */
const CHECK_EVERY_MS = 1_000;

/** Options for `http.createServer`: the timeouts. */
export function serverOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(CHECK_EVERY_MS, limits.headersTimeoutMs),
  };
}

/** Caps the connections of a listening server. */
export function capConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
}
