/** A webhook receiver on 127.0.0.1 for the webhook tests. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: records every request and answers with the next queued status (200 when none is queued). */
export class Receiver {
  readonly received: Received[] = [];
  readonly answers: number[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body });
        response.statusCode = this.answers.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Verified messages, as the documented receiver checks them. */
  verified(secret: string): Array<{ id: string; type: string; data: any; timestamp: string }> {
    const webhook = new Webhook(secret);
    return this.received.map(({ headers, body }) => ({
      id: String(headers['webhook-id']),
      ...(webhook.verify(body, headers as Record<string, string>) as { type: string; data: any; timestamp: string }),
    }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
